// Package template scaffolds new task plugins from the example in
// template/example, which is a complete, working plugin (N-back recall).
// `cbrnn tasks new NAME` calls Write; the README's "Adding a task" explains
// the three steps.
package template
