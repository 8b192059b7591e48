// Command faulty is a deliberately broken task plugin for the host's tests.
// What goes wrong depends on the name it is run under (os.Args[0]) and, for
// the default name, on the request's "mode" parameter.
package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

type server struct {
	taskpb.UnimplementedTaskProviderServer
	desc task.Description
}

// panicky goes through the SDK's server, to test that it turns a panicking
// generator into an error instead of a crash.
var panicky = sdk.NewServer(task.Generator{
	Desc: tasks.DMS.Desc,
	Generate: func(*rand.Rand, int, int, map[string]string) ([]float32, int, [][]int32, error) {
		panic("faulty: panicking on purpose")
	},
})

func (s *server) Describe(context.Context, *taskpb.DescribeRequest) (*taskpb.Description, error) {
	return wire.DescriptionToProto(s.desc), nil
}

// serial makes mode "slow" serve one request at a time, like a plugin
// whose generator holds a global lock (or Python's GIL).
var serial sync.Mutex

func (s *server) Batch(ctx context.Context, req *taskpb.BatchRequest) (*taskpb.BatchResponse, error) {
	r := wire.RequestFromProto(req)
	mode, arg := r.Params["mode"], r.Params["arg"]
	r.Task, r.Params = "dms", nil
	b, err := tasks.DMS.Batch(r)
	if err != nil {
		return nil, err
	}
	switch mode {
	case "ok":
	case "shape":
		b.X = b.X[1:]
	case "nan":
		b.X[0] = float32(math.NaN())
	case "label":
		b.Labels[0][0] = 5
	case "tlong":
		t := 4*r.N + 2
		b.T, b.X = t, make([]float32, t*b.B)
	case "heads":
		b.Labels = append(b.Labels, b.Labels[0])
	case "crash":
		// go-plugin forwards os.Stderr over gRPC, which dies with the
		// process; fd 2 (where Go's panics go) reaches the host's log.
		os.NewFile(2, "stderr").WriteString("faulty: crashing on purpose\n")
		os.Exit(3)
	case "crash-stderr":
		// What a plugin writes to os.Stderr just before it dies.
		fmt.Fprintln(os.Stderr, "faulty: last words before dying")
		os.Exit(4)
	case "hang":
		select {}
	case "slow":
		// One request at a time, arg milliseconds each.
		ms, _ := strconv.Atoi(arg)
		serial.Lock()
		time.Sleep(time.Duration(ms) * time.Millisecond)
		serial.Unlock()
	case "spawn":
		// A child process that would outlive the plugin; its pid goes to
		// the file arg.
		c := exec.Command("sleep", "300")
		if err := c.Start(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(arg, []byte(strconv.Itoa(c.Process.Pid)), 0o644); err != nil {
			return nil, err
		}
	case "spawn-tree":
		// Three children that would outlive the plugin: a plain one, one
		// in a session of its own (setsid, out of the plugin's process
		// group), and one in its own session with a scrubbed environment
		// (no mark of its host). Their pids go to the file arg.
		var pids []string
		for _, attr := range []*syscall.SysProcAttr{nil, {Setsid: true}, {Setsid: true}} {
			c := exec.Command("sleep", "300")
			c.SysProcAttr = attr
			if len(pids) == 2 {
				c.Env = []string{"PATH=/usr/bin:/bin"}
			}
			if err := c.Start(); err != nil {
				return nil, err
			}
			pids = append(pids, strconv.Itoa(c.Process.Pid))
		}
		if err := os.WriteFile(arg, []byte(strings.Join(pids, " ")), 0o644); err != nil {
			return nil, err
		}
	case "panic":
		return panicky.Batch(ctx, &taskpb.BatchRequest{N: req.N, B: req.B})
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	return wire.BatchToProto(b), nil
}

func main() {
	name := filepath.Base(os.Args[0])
	d := tasks.DMS.Desc
	d.Name, d.Summary = name, "a task plugin that misbehaves on request"
	d.Params = []task.Param{
		{Key: "mode", Default: "ok", Help: "ok, shape, nan, label, tlong, heads, crash, crash-stderr, hang, slow, spawn, spawn-tree, panic"},
		{Key: "arg", Help: "slow: milliseconds per request; spawn, spawn-tree: the file that receives the children's pids"},
	}
	cfg := sdk.ServeConfig(&server{desc: d})
	switch name {
	case "badversion":
		cfg.HandshakeConfig.ProtocolVersion = wire.ProtocolVersion + 1
	case "mute":
		time.Sleep(time.Hour)
	case "liar":
		cfg.Plugins = wire.PluginSet(&server{desc: tasks.Parity.Desc})
	}
	sdk.WatchParent()
	plugin.Serve(cfg)
}
