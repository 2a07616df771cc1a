package azurite

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/frogbridge/frogbridge/internal/devstack/tlsca"
)

func TestAzuriteOverTLSPersists(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsca.Ensure(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := func() *Process {
		t.Helper()
		var out bytes.Buffer
		p, err := Start(ctx, Options{Dir: filepath.Join(dir, "azurite"), CertFile: ca.ServerCertFile(), KeyFile: ca.ServerKeyFile(), Log: &out})
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		t.Cleanup(func() { p.Stop() })
		return p
	}
	client := func(p *Process) *azblob.Client {
		t.Helper()
		c, err := azblob.NewClientFromConnectionString(p.ConnectionString(), &azblob.ClientOptions{
			ClientOptions: azcore.ClientOptions{Transport: ca.HTTPClient(10 * time.Second)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	p := start()
	if !strings.HasPrefix(p.BlobURL(), "https://127.0.0.1:") || p.Port() == 0 {
		t.Fatalf("BlobURL %s", p.BlobURL())
	}
	if !strings.Contains(p.ConnectionString(), "BlobEndpoint="+p.BlobURL()+";") {
		t.Errorf("connection string %q lacks the blob endpoint", p.ConnectionString())
	}
	c := client(p)
	if _, err := c.CreateContainer(ctx, "azureml-blobstore", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadBuffer(ctx, "azureml-blobstore", "azureml/job1/out.json", []byte(`{"ok":true}`), nil); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	if err := p.Ping(ctx, ca.HTTPClient(2*time.Second)); err == nil {
		t.Error("azurite still answers after Stop")
	}

	again := start()
	resp, err := client(again).DownloadStream(ctx, "azureml-blobstore", "azureml/job1/out.json", nil)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"ok":true}` {
		t.Errorf("blob after restart = %q", b)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no dir", Options{}, "Dir"},
		{"cert without key", Options{Dir: t.TempDir(), CertFile: "c.pem"}, "both"},
		{"missing binary", Options{Dir: t.TempDir(), Bin: filepath.Join(t.TempDir(), "nope")}, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Start error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestFindBin(t *testing.T) {
	t.Run("env override", func(t *testing.T) {
		t.Setenv(BinEnv, "/opt/azurite-blob")
		if got, err := FindBin(); err != nil || got != "/opt/azurite-blob" {
			t.Errorf("FindBin = %q, %v", got, err)
		}
	})
	t.Run("repository tools", func(t *testing.T) {
		t.Setenv(BinEnv, "")
		got, err := FindBin()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(got, relBin) {
			t.Errorf("FindBin = %q, want a path ending in %s", got, relBin)
		}
	})
}
