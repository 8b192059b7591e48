package sdk_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cbrnn/cbrnn/taskplugins/internal/wire"
	taskpb "github.com/cbrnn/cbrnn/taskplugins/proto"
	"github.com/cbrnn/cbrnn/taskplugins/sdk"
	"github.com/cbrnn/cbrnn/taskplugins/task"
	"github.com/cbrnn/cbrnn/taskplugins/tasks"
)

func TestServerServesTheGenerator(t *testing.T) {
	s := sdk.NewServer(tasks.Switch)
	ctx := context.Background()
	d, err := s.Describe(ctx, &taskpb.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	wantDesc := tasks.Switch.Desc
	wantDesc.Params = []task.Param{wantDesc.Params[0]}
	wantDesc.Params[0].Domain = nil // checked here, in the plugin; not sent
	if got := wire.DescriptionFromProto(d); !reflect.DeepEqual(got, wantDesc) {
		t.Fatalf("Describe: %+v", got)
	}
	// A value outside a parameter's domain is refused before generating.
	bad, _ := wire.RequestToProto(task.Request{Task: "switch", N: 4, B: 3, Params: map[string]string{"active": "sideways"}})
	if _, err := s.Batch(ctx, bad); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `parameter active = "sideways" is outside its domain: one of "dms", "parity"`) {
		t.Fatalf("active=sideways: %v", err)
	}
	r := task.Request{Task: "switch", N: 4, B: 3, Seed: 2, Index: 9, Params: map[string]string{"active": "parity"}}
	pr, _ := wire.RequestToProto(r)
	resp, err := s.Batch(ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wire.BatchFromProto(resp)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tasks.Switch.Batch(r)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("wire batch differs from the generator's")
	}
}

func TestServerErrors(t *testing.T) {
	panicky := task.Generator{Desc: tasks.DMS.Desc, Generate: func(*rand.Rand, int, int, map[string]string) ([]float32, int, [][]int32, error) {
		panic("boom")
	}}
	cases := []struct {
		name string
		g    task.Generator
		req  *taskpb.BatchRequest
		code codes.Code
		want string
	}{
		{"N out of range", tasks.DMS, &taskpb.BatchRequest{N: 0, B: 2}, codes.InvalidArgument, "N=0"},
		{"bad parameter", tasks.Switch, &taskpb.BatchRequest{N: 3, B: 2, Params: map[string]string{"active": "x"}}, codes.InvalidArgument, "active"},
		{"panicking generator", panicky, &taskpb.BatchRequest{N: 3, B: 2}, codes.Internal, "generator panicked: boom"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sdk.NewServer(c.g).Batch(context.Background(), c.req)
			if status.Code(err) != c.code || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.code, c.want)
			}
		})
	}
}

func TestWireRejectsRaggedX(t *testing.T) {
	if _, err := wire.BatchFromProto(&taskpb.BatchResponse{X: make([]byte, 5)}); err == nil {
		t.Fatal("5 bytes of x accepted")
	}
}
