package experiments

const SketchFamily = "The sketch's claims"
