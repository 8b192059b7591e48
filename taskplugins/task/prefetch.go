package task

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrStreamClosed is returned by Next after Close or after an earlier error.
var ErrStreamClosed = errors.New("batch stream closed")

// Stream delivers the batches of a request list in order while fetching
// ahead, so a training step never waits on a plugin.
type Stream struct {
	ctx     context.Context
	cancel  context.CancelFunc
	results []chan result
	sem     chan struct{}
	next    int
	err     error
	wg      sync.WaitGroup
}

type result struct {
	b   *Batch
	err error
}

// Prefetch starts fetching reqs from src, at most depth (≥ 1) batches ahead
// of the consumer and concurrently. Batches come back in request order;
// an error is returned at its position, after every batch before it, and
// ends the stream. Always Close the stream.
func Prefetch(ctx context.Context, src Source, reqs []Request, depth int) *Stream {
	depth = max(depth, 1)
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{ctx: ctx, cancel: cancel, results: make([]chan result, len(reqs)), sem: make(chan struct{}, depth)}
	for i := range s.results {
		s.results[i] = make(chan result, 1)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for i, r := range reqs {
			select {
			case s.sem <- struct{}{}: // a slot frees when Next hands a batch out
			case <-ctx.Done():
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				b, err := src.Batch(ctx, r)
				s.results[i] <- result{b, err}
			}()
		}
	}()
	return s
}

// Next returns the next batch in request order, io.EOF after the last.
func (s *Stream) Next() (*Batch, error) {
	if s.err != nil {
		return nil, ErrStreamClosed
	}
	if s.next >= len(s.results) {
		return nil, io.EOF
	}
	select {
	case res := <-s.results[s.next]:
		s.next++
		<-s.sem
		if res.err != nil {
			s.err = res.err
			s.cancel()
		}
		return res.b, res.err
	case <-s.ctx.Done():
		s.err = s.ctx.Err()
		return nil, s.err
	}
}

// Close stops fetching and waits for fetches in flight to end.
func (s *Stream) Close() {
	s.cancel()
	s.wg.Wait()
	if s.err == nil {
		s.err = ErrStreamClosed
	}
}
