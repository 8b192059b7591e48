package sdk

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// Server implements the TaskProvider service for one generator. Serve uses
// it; it is exported for tests that want the service without a process.
type Server struct {
	taskpb.UnimplementedTaskProviderServer
	G task.Generator
}

// NewServer returns the service for g.
func NewServer(g task.Generator) *Server { return &Server{G: g} }

// Describe returns the generator's declaration.
func (s *Server) Describe(context.Context, *taskpb.DescribeRequest) (*taskpb.Description, error) {
	return wire.DescriptionToProto(s.G.Desc), nil
}

// Batch generates one batch. A request the task cannot serve is
// InvalidArgument; a panicking generator is Internal (with its stack), so
// the host reports it instead of seeing a crash.
func (s *Server) Batch(_ context.Context, req *taskpb.BatchRequest) (resp *taskpb.BatchResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, status.Errorf(codes.Internal, "generator panicked: %v\n%s", r, debug.Stack())
		}
	}()
	b, err := s.G.Batch(wire.RequestFromProto(req))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return wire.BatchToProto(b), nil
}

// Serve runs g as a plugin until the host closes it; it does not return.
// Run by hand (without the host's handshake) it explains itself and exits.
func Serve(g task.Generator) {
	if err := g.Desc.CheckDescription(); err != nil {
		fmt.Fprintln(os.Stderr, "task plugin:", err)
		os.Exit(1)
	}
	if g.Generate == nil {
		fmt.Fprintf(os.Stderr, "task plugin %s: no Generate function\n", g.Desc.Name)
		os.Exit(1)
	}
	WatchParent()
	plugin.Serve(ServeConfig(NewServer(g)))
	os.Exit(0)
}

// ServeConfig is the go-plugin configuration Serve uses, for plugins that
// implement the service themselves.
func ServeConfig(impl taskpb.TaskProviderServer) *plugin.ServeConfig {
	impl = &keepStderr{TaskProviderServer: impl, fd2: os.Stderr}
	return &plugin.ServeConfig{
		HandshakeConfig: wire.Handshake,
		Plugins:         wire.PluginSet(impl),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(wire.MaxMessage), grpc.MaxSendMsgSize(wire.MaxMessage))
			return grpc.NewServer(opts...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "task-plugin", Level: hclog.Warn, Output: os.Stderr, JSONFormat: true,
		}),
	}
}

// keepStderr points os.Stderr back at the process's own stderr (fd 2) at
// the first call. go-plugin's Serve redirects os.Stderr into a pipe that it
// forwards over gRPC; what a plugin writes there just before it crashes
// dies with the process, and the host reported "nothing on stderr" for a
// plugin whose last words explained its crash. fd 2 is a pipe the host
// reads to the end, whatever kills the plugin. The host calls Describe
// first, always, so the switch happens before any generator runs.
type keepStderr struct {
	taskpb.TaskProviderServer
	fd2  *os.File
	once sync.Once
}

func (k *keepStderr) restore() { k.once.Do(func() { os.Stderr = k.fd2 }) }

func (k *keepStderr) Describe(ctx context.Context, r *taskpb.DescribeRequest) (*taskpb.Description, error) {
	k.restore()
	return k.TaskProviderServer.Describe(ctx, r)
}

func (k *keepStderr) Batch(ctx context.Context, r *taskpb.BatchRequest) (*taskpb.BatchResponse, error) {
	k.restore()
	return k.TaskProviderServer.Batch(ctx, r)
}

// WatchParent exits the plugin when its parent goes away. The host also
// asks the kernel to kill its children when it dies (Pdeathsig on Linux);
// this is the second line for when that cannot fire, so a crashed trainer
// never leaves plugins behind.
func WatchParent() {
	ppid := os.Getppid()
	go func() {
		for {
			time.Sleep(250 * time.Millisecond)
			if os.Getppid() != ppid {
				os.Exit(1)
			}
		}
	}()
}
