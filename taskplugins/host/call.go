package host

// The RPC call: one Batch request, validated, under the service-time
// watchdog, with one retry after a crash.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/status"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Batch fetches one batch and validates it against the declaration: shape,
// finite values, label ranges, T within the bounds for N.
func (h *Host) Batch(ctx context.Context, r task.Request) (*task.Batch, error) {
	desc, err := h.Describe(ctx, r.Task)
	if err != nil {
		return nil, withRequest(err, r)
	}
	e := h.entries[r.Task]
	if err := desc.CheckRequest(r); err != nil {
		return nil, e.fail(&r, ErrBadRequest, err)
	}
	req, err := wire.RequestToProto(r)
	if err != nil {
		return nil, e.fail(&r, ErrBadRequest, err)
	}
	retried := false
	for {
		e.mu.Lock()
		p, err := h.running(e)
		e.mu.Unlock()
		if err != nil {
			return nil, withRequest(err, r)
		}
		resp, timedOut, err := p.call(ctx, e.timeout, req)
		switch {
		case err == nil:
			b, err := wire.BatchFromProto(resp)
			if err == nil {
				err = b.Validate(desc, r)
			}
			if err != nil {
				return nil, e.fail(&r, ErrMalformed, err)
			}
			h.note(p)
			return b, nil
		case ctx.Err() != nil:
			// The caller gave up; the plugin is not at fault.
			return nil, fmt.Errorf("%v: %w", r, ctx.Err())
		case timedOut:
			h.discard(e, p, true)
			detail := fmt.Sprintf("no batch within %v of service time; killed pid %d (the next request starts a fresh process). A task this slow can be given more time with --batch-timeout, $%s or batch_timeouts in its manifest",
				e.timeout, p.pid, TimeoutEnv)
			if words := p.stderr.text(); words != "" {
				detail += "; last words: " + words
			}
			return nil, e.fail(&r, ErrTimeout, errors.New(detail))
		case p.dead(err):
			detail := p.exitDetail()
			if !retried && h.restart(e, p) {
				retried = true
				h.logger.Warn("task plugin crashed, restarting", "plugin", e.Name, "request", r.String(), "exit", detail)
				continue
			}
			return nil, e.fail(&r, ErrCrashed, fmt.Errorf("%s (restarts used: %d); last words: %s", detail, e.restartsUsed(), p.stderr.String()))
		default:
			return nil, e.fail(&r, ErrRefused, errors.New(status.Convert(err).Message()))
		}
	}
}

// withRequest returns a copy of a plugin error that names r.
func withRequest(err error, r task.Request) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	c := *pe
	c.Request = &r
	return &c
}

func (e *entry) restartsUsed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.restarts
}

// call sends one Batch request under the service-time watchdog: it gives
// up (timedOut) when the plugin, with requests waiting, has delivered no
// batch for timeout. A request queued behind others in a plugin that
// serves one at a time is thus not timed out while those before it are
// being served; a plugin that stops answering is, after timeout.
func (p *proc) call(ctx context.Context, timeout time.Duration, req *taskpb.BatchRequest) (*taskpb.BatchResponse, bool, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.mu.Lock()
	if p.inflight == 0 {
		p.progress = time.Now()
	}
	p.inflight++
	p.mu.Unlock()
	var timedOut atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTimer(timeout)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				idle := time.Since(p.progress)
				p.mu.Unlock()
				if idle < timeout {
					t.Reset(timeout - idle)
					continue
				}
				timedOut.Store(true)
				cancel()
				return
			}
		}
	}()
	resp, err := p.stub.Batch(cctx, req)
	close(done)
	p.mu.Lock()
	p.inflight--
	p.progress = time.Now()
	p.mu.Unlock()
	return resp, timedOut.Load() && ctx.Err() == nil, err
}
