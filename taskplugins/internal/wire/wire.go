package wire

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/task"
)

// ProtocolVersion is the task protocol's version (taskplugin.proto, package
// cbrnn.taskplugin.v1). A plugin speaking another version is refused at the
// handshake, before any request.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake. The cookie only stops a plugin from
// being run by hand by mistake; it is not a security measure (the SHA-256
// manifest is).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "CBRNN_TASK_PLUGIN",
	MagicCookieValue: "3f1c2a7e-cortico-cerebellar-tasks",
}

// PluginName is the key of the task service in go-plugin's plugin set.
const PluginName = "task"

// MaxMessage bounds one gRPC message; a batch at N=1000, B=512 is ~8 MB.
const MaxMessage = 1 << 30

// GRPCPlugin adapts the TaskProvider service to go-plugin. Impl is set on
// the plugin side only.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl taskpb.TaskProviderServer
}

// GRPCServer registers the task service on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	taskpb.RegisterTaskProviderServer(s, p.Impl)
	return nil
}

// GRPCClient returns the host's stub.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return taskpb.NewTaskProviderClient(c), nil
}

// PluginSet is the plugin set for go-plugin's ServeConfig/ClientConfig.
func PluginSet(impl taskpb.TaskProviderServer) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}}
}

// DescriptionToProto converts a declaration for the wire.
func DescriptionToProto(d task.Description) *taskpb.Description {
	out := &taskpb.Description{
		Name: d.Name, Version: d.Version, Summary: d.Summary,
		Inputs: int32(d.Inputs), HeadNames: d.HeadNames,
		MinN: int32(d.MinN), MaxN: int32(d.MaxN),
		Labels:  taskpb.LabelKind(d.Labels),
		MinTMul: int32(d.MinTMul), MinTAdd: int32(d.MinTAdd),
		MaxTMul: int32(d.MaxTMul), MaxTAdd: int32(d.MaxTAdd),
	}
	for _, h := range d.Heads {
		out.Heads = append(out.Heads, int32(h))
	}
	for _, p := range d.Params {
		out.Params = append(out.Params, &taskpb.Param{Key: p.Key, DefaultValue: p.Default, Help: p.Help})
	}
	return out
}

// DescriptionFromProto converts a declaration from the wire.
func DescriptionFromProto(p *taskpb.Description) task.Description {
	d := task.Description{
		Name: p.GetName(), Version: p.GetVersion(), Summary: p.GetSummary(),
		Inputs: int(p.GetInputs()), HeadNames: p.GetHeadNames(),
		MinN: int(p.GetMinN()), MaxN: int(p.GetMaxN()),
		Labels:  task.LabelKind(p.GetLabels()),
		MinTMul: int(p.GetMinTMul()), MinTAdd: int(p.GetMinTAdd()),
		MaxTMul: int(p.GetMaxTMul()), MaxTAdd: int(p.GetMaxTAdd()),
	}
	for _, h := range p.GetHeads() {
		d.Heads = append(d.Heads, int(h))
	}
	for _, q := range p.GetParams() {
		d.Params = append(d.Params, task.Param{Key: q.GetKey(), Default: q.GetDefaultValue(), Help: q.GetHelp()})
	}
	return d
}

// RequestToProto converts a request for the wire.
func RequestToProto(r task.Request) (*taskpb.BatchRequest, error) {
	if r.N < 0 || r.N > math.MaxInt32 || r.B < 0 || r.B > math.MaxInt32 {
		return nil, fmt.Errorf("N=%d or B=%d does not fit the protocol", r.N, r.B)
	}
	return &taskpb.BatchRequest{
		Task: r.Task, Params: r.Params, N: int32(r.N), B: int32(r.B),
		Seed: r.Seed, Index: r.Index, Split: taskpb.Split(r.Split),
	}, nil
}

// RequestFromProto converts a request from the wire.
func RequestFromProto(p *taskpb.BatchRequest) task.Request {
	return task.Request{
		Task: p.GetTask(), Params: p.GetParams(), N: int(p.GetN()), B: int(p.GetB()),
		Seed: p.GetSeed(), Index: p.GetIndex(), Split: task.Split(p.GetSplit()),
	}
}

// BatchToProto converts a batch for the wire, x as little-endian float32.
func BatchToProto(b *task.Batch) *taskpb.BatchResponse {
	x := make([]byte, 4*len(b.X))
	for i, v := range b.X {
		binary.LittleEndian.PutUint32(x[4*i:], math.Float32bits(v))
	}
	out := &taskpb.BatchResponse{T: int32(b.T), B: int32(b.B), I: int32(b.I), X: x}
	for _, l := range b.Labels {
		out.Labels = append(out.Labels, &taskpb.Labels{Values: l})
	}
	return out
}

// BatchFromProto converts a batch from the wire. Shape problems are left to
// task.Batch.Validate, except a byte count that is not whole float32s.
func BatchFromProto(p *taskpb.BatchResponse) (*task.Batch, error) {
	raw := p.GetX()
	if len(raw)%4 != 0 {
		return nil, fmt.Errorf("x has %d bytes, not a whole number of float32", len(raw))
	}
	x := make([]float32, len(raw)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	b := &task.Batch{T: int(p.GetT()), B: int(p.GetB()), I: int(p.GetI()), X: x}
	for _, l := range p.GetLabels() {
		b.Labels = append(b.Labels, l.GetValues())
	}
	return b, nil
}
