package nb

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Progress is an io.Writer for training progress: in a notebook it shows
// the latest line in one output block that updates in place (a progress
// line, not hundreds of epoch lines); Done replaces it with a one-line
// summary. Outside a notebook it writes the lines to stdout.
//
// An output that is only progress (timings, ETAs, run names) would make
// every rerun of a notebook differ, and a rerun on cached runs prints none:
// while it shows progress the block carries the output metadata
// ProgressKey, and notebooks/execute.py --normalise drops such blocks from
// the notebooks it writes to be committed. Done's summary stays.
type Progress struct {
	mu      sync.Mutex
	id      string
	label   string
	start   time.Time
	partial string
	shown   bool
}

// NewProgress starts a progress block; label prefixes every line.
func NewProgress(label string) *Progress {
	return &Progress{id: "progress-" + gonbui.UniqueId(), label: label, start: time.Now()}
}

// Write implements io.Writer: each complete line replaces the block.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial += string(b)
	for {
		i := strings.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(p.partial[:i], "\r")
		p.partial = p.partial[i+1:]
		if strings.TrimSpace(line) != "" {
			p.show(line)
		}
	}
	return len(b), nil
}

func (p *Progress) show(line string) {
	if p.label != "" {
		line = p.label + ": " + line
	}
	if !gonbui.IsNotebook {
		fmt.Println(line)
		return
	}
	p.shown = true
	gonbui.SendData(&protocol.DisplayData{
		Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: pre(line), protocol.MIMETextPlain: line},
		Metadata:  map[string]any{ProgressKey: true},
		DisplayID: p.id,
	})
}

// ProgressKey marks an output block that shows progress only.
const ProgressKey = "cbrnn/progress"

func pre(s string) string { return `<pre style="margin:0">` + html.EscapeString(s) + "</pre>" }

// Done replaces the progress block with summary and the wall time since
// NewProgress ("" summary: the block is emptied).
func (p *Progress) Done(summary string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if summary != "" {
		summary += fmt.Sprintf(" (%s)", time.Since(p.start).Round(time.Second))
	}
	if !gonbui.IsNotebook {
		if summary != "" {
			fmt.Println(summary)
		}
		return
	}
	if !p.shown && summary == "" {
		return
	}
	p.shown = true
	data := map[protocol.MIMEType]any{protocol.MIMETextHTML: ""}
	if summary != "" {
		data = map[protocol.MIMEType]any{protocol.MIMETextHTML: pre(summary), protocol.MIMETextPlain: summary}
	}
	gonbui.SendData(&protocol.DisplayData{Data: data, DisplayID: p.id})
	gonbui.Sync()
}
