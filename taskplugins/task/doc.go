// Package task holds the vocabulary shared by task providers, the plugin
// host and the trainer: what a task declares about itself, what the trainer
// asks for, the batch it gets back, and Prefetch, which fetches a Source's
// batches ahead of the consumer. It has no dependencies so that a task
// author and the trainer can both import it cheaply.
package task
