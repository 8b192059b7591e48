package host

import (
	"errors"
	"fmt"

	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Kinds of failure, for errors.Is. Every error the host returns about a
// plugin is an *Error that wraps one of them.
var (
	ErrNotFound   = errors.New("no such task plugin")
	ErrUnverified = errors.New("refused: binary not verified by the manifest")
	ErrHandshake  = errors.New("could not start the plugin")
	ErrCrashed    = errors.New("plugin crashed")
	ErrTimeout    = errors.New("plugin did not answer in time")
	ErrMalformed  = errors.New("plugin returned a malformed batch")
	ErrRefused    = errors.New("plugin refused the request")
	ErrBadRequest = errors.New("request outside the task's declaration, not sent")
	ErrClosed     = errors.New("task host is closed")
	ErrNotPlugin  = errors.New("not a task plugin binary")
)

// Error is a failure of one plugin. It names the plugin, its binary, the
// request being served (if any) and the problem, so a log line alone says
// what to fix.
type Error struct {
	Plugin  string
	Path    string
	Request *task.Request // nil outside a Batch call
	Kind    error         // one of the Err* values above
	Err     error         // the detail
}

func (e *Error) Error() string {
	if e.Kind == ErrNotFound && e.Err != nil {
		// The detail says it all: the unknown name, the nearest known
		// one, the known ones, where they were looked for.
		return e.Err.Error()
	}
	s := fmt.Sprintf("task plugin %q (%s)", e.Plugin, e.Path)
	if e.Request != nil {
		s += " serving " + e.Request.String()
	}
	s += ": " + e.Kind.Error()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes both the kind and the detail to errors.Is/As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
