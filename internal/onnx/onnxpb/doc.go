// Package onnxpb holds the Go types of the ONNX protobuf schema
// (onnx-ml.proto of ONNX v1.22.0, copied unchanged from github.com/onnx/onnx,
// Apache-2.0), generated with protoc and protoc-gen-go
// (google.golang.org/protobuf). Regenerate with `go generate` after
// replacing onnx-ml.proto; protoc comes from Debian's protobuf-compiler and
// protoc-gen-go from `go install google.golang.org/protobuf/cmd/protoc-gen-go`.
package onnxpb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go_opt=Monnx-ml.proto=github.com/frogbridge/frogbridge/internal/onnx/onnxpb onnx-ml.proto
