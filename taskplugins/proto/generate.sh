#!/usr/bin/env bash
# Regenerates the Go and Python code for taskplugin.proto. The output is
# committed, so building cbrnn needs none of these tools.
#   protoc                (Debian: protobuf-compiler, 3.21.12)
#   protoc-gen-go         go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   protoc-gen-go-grpc    go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
#   grpc_python_plugin    (Debian: protobuf-compiler-grpc, 1.51.1, matching python3-grpcio)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$(go env GOPATH)/bin:$PATH"
cd "$here"
protoc -I . \
  --go_out=. --go_opt=paths=source_relative \
  --go-grpc_out=. --go-grpc_opt=paths=source_relative \
  taskplugin.proto
protoc -I . \
  --python_out=../python \
  --grpc_python_out=../python --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  taskplugin.proto
