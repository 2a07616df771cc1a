package localazureml

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// Upload tuning: memory use is about uploadBlockSize × uploadConcurrency,
// whatever the size of the outputs.
const (
	uploadBlockSize   = 4 << 20
	uploadConcurrency = 2
)

// uploadOutputs uploads every output to container: a folder's files under
// its prefix (keeping their relative paths), a uri_file output to its path.
func (s *Server) uploadOutputs(ctx context.Context, container string, outputs []output) error {
	if len(outputs) == 0 {
		return nil
	}
	if s.opts.Blob.ConnectionString == "" {
		return errors.New("the local stack has no blob storage configured for the datastore (Options.Blob.ConnectionString)")
	}
	client, err := azblob.NewClientFromConnectionString(s.opts.Blob.ConnectionString, s.opts.Blob.ClientOptions)
	if err != nil {
		return fmt.Errorf("blob client: %w", err)
	}
	if _, err := client.CreateContainer(ctx, container, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("create container %s: %w", container, err)
	}
	for _, o := range outputs {
		if o.file {
			if _, err := os.Stat(o.local); err != nil {
				return fmt.Errorf("output %s: the job did not write its file: %w", o.name, err)
			}
			if err := uploadFile(ctx, client, container, o.prefix, o.local); err != nil {
				return err
			}
			continue
		}
		err := filepath.WalkDir(o.local, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(o.local, p)
			if err != nil {
				return err
			}
			return uploadFile(ctx, client, container, path.Join(o.prefix, filepath.ToSlash(rel)), p)
		})
		if err != nil {
			return fmt.Errorf("output %s: %w", o.name, err)
		}
	}
	return nil
}

// uploadFile streams one file to a block blob.
func uploadFile(ctx context.Context, client *azblob.Client, container, blob, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = client.UploadStream(ctx, container, strings.TrimPrefix(blob, "/"), f, &azblob.UploadStreamOptions{
		BlockSize: uploadBlockSize, Concurrency: uploadConcurrency,
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", blob, err)
	}
	return nil
}
