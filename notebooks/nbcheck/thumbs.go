package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// ThumbWidth is the width of the thumbnails in notebooks/README.md.
const ThumbWidth = 360

// Thumb writes dir/<notebook>.png: the notebook's main figure scaled to
// ThumbWidth pixels wide (Catmull-Rom, deterministic). It fails if the
// notebook has no output showing its main figure.
func Thumb(nb *Notebook, dir string) (string, error) {
	id := nb.MainFigure()
	if id == "" {
		return "", fmt.Errorf("%s: no main figure (metadata.cbrnn.main or figures)", nb.Name())
	}
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.Metadata[figureKey] != id {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(o.String("image/png")))
			if err != nil {
				return "", fmt.Errorf("%s: figure %s: %w", nb.Name(), id, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				return "", fmt.Errorf("%s: figure %s: %w", nb.Name(), id, err)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			tw := min(ThumbWidth, w)
			th := max(1, h*tw/w)
			dst := image.NewRGBA(image.Rect(0, 0, tw, th))
			xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
			var out bytes.Buffer
			if err := png.Encode(&out, dst); err != nil {
				return "", err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
			path := filepath.Join(dir, nb.Name()+".png")
			return path, os.WriteFile(path, out.Bytes(), 0o644)
		}
	}
	return "", fmt.Errorf("%s: no output shows its main figure %s (execute it first)", nb.Name(), id)
}
