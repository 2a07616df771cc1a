package localazureml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
)

// maxInputBlobs bounds the blobs a uri_folder input downloads.
const maxInputBlobs = 10000

var (
	// inputTypes are the jobInputType values the server runs (JobInputType
	// in mfe.json, 2025-09-01, also has mltable and the model types).
	inputTypes = map[string]bool{"literal": true, "uri_file": true, "uri_folder": true}
	// inputModes are InputDeliveryMode values; the local stack downloads
	// for every mode but Direct, which passes the URI.
	inputModes = map[string]bool{"": true, "ReadOnlyMount": true, "ReadWriteMount": true, "Download": true, "Direct": true}
	// shortDatastoreURI is azureml://datastores/<datastore>/paths/<path>.
	shortDatastoreURI = regexp.MustCompile(`^azureml://datastores/([^/]+)/paths/(.+)$`)
	// assetURI is azureml:<name>:<version>.
	assetURI = regexp.MustCompile(`^azureml:([A-Za-z0-9][A-Za-z0-9._-]*):([A-Za-z0-9][A-Za-z0-9._-]*)$`)
)

// inputPlan is one input resolved to what the run needs.
type inputPlan struct {
	name string
	// value is a literal's value or a Direct input's URI.
	value string
	// blob is set for inputs to download.
	blob   bool
	folder bool
	// uri is the datastore URI, for messages.
	uri       string
	datastore string
	container string
	// path is the blob (uri_file) or the folder prefix without its
	// trailing / (uri_folder).
	path string
}

// validateInput checks an input at submission and returns AzureML's
// message for the first problem, or "".
func validateInput(k string, in jobInput) string {
	switch {
	case !ioName.MatchString(k):
		return "Input name '" + clip(k, 100) + "' is invalid."
	case !inputTypes[in.JobInputType]:
		return "Input '" + k + "': jobInputType '" + clip(in.JobInputType, 40) + "' is not supported by the local stack: use literal, uri_file or uri_folder."
	case in.JobInputType == "literal" && !literalOK.MatchString(in.Value):
		return "Input '" + k + "': value must contain at least one letter, digit or '_'."
	case in.JobInputType != "literal" && !literalOK.MatchString(in.URI):
		// AssetJobInput.uri: required, minLength 1, pattern [a-zA-Z0-9_].
		return "Input '" + k + "': uri is required for a " + in.JobInputType + " input."
	case in.JobInputType != "literal" && !inputModes[in.Mode]:
		return "Input '" + k + "': mode '" + clip(in.Mode, 40) + "' is not supported by the local stack: use ReadOnlyMount, Download or Direct."
	}
	return ""
}

// planInputsLocked resolves the job's inputs: data assets to their
// dataUri, datastore URIs to a container and path on the server's storage.
// A missing asset or datastore fails the job here, before anything runs.
// The caller holds s.mu.
func (s *Server) planInputsLocked(ws *workspace, def jobProps) ([]inputPlan, error) {
	var plans []inputPlan
	for _, k := range slices.Sorted(maps.Keys(def.Inputs)) {
		in := def.Inputs[k]
		if in.JobInputType == "literal" {
			plans = append(plans, inputPlan{name: k, value: in.Value})
			continue
		}
		uri := in.URI
		if m := assetURI.FindStringSubmatch(uri); m != nil {
			d := ws.Data[versionKey(m[1], m[2])]
			if d == nil {
				return nil, fmt.Errorf("Input '%s': data asset %s version %s was not found in workspace %s: create it (PUT …/data/%s/versions/%s) or fix the reference.",
					k, clip(m[1], 100), clip(m[2], 100), ws.Name, clip(m[1], 100), clip(m[2], 100))
			}
			if d.Props.DataType != in.JobInputType {
				return nil, fmt.Errorf("Input '%s': data asset %s:%s is a %s, but the input is a %s: use jobInputType %s.",
					k, d.Name, d.Version, d.Props.DataType, in.JobInputType, d.Props.DataType)
			}
			uri = d.Props.DataURI
		}
		if in.Mode == "Direct" {
			plans = append(plans, inputPlan{name: k, value: uri})
			continue
		}
		m := shortDatastoreURI.FindStringSubmatch(uri)
		if m == nil {
			return nil, fmt.Errorf("Input '%s': uri '%s' is not supported by the local stack: use azureml://datastores/<datastore>/paths/<path> or azureml:<data asset>:<version>.", k, clip(uri, 200))
		}
		p := inputPlan{name: k, blob: true, folder: in.JobInputType == "uri_folder", uri: uri, datastore: m[1]}
		p.path = strings.Trim(m[2], "/")
		if !cleanBlobPath(p.path) {
			return nil, fmt.Errorf("Input '%s': path '%s' is outside datastore %s: use a path without empty, '.' or '..' segments, backslashes or control characters.", k, clip(m[2], 200), clip(m[1], 100))
		}
		ds, ok := s.datastoreLocked(ws, p.datastore)
		if !ok {
			return nil, fmt.Errorf("Input '%s': datastore '%s' was not found in workspace %s (%s): create it or fix the uri.", k, clip(p.datastore, 100), ws.Name, clip(uri, 200))
		}
		if ds.AccountName != s.blobAccount() {
			return nil, fmt.Errorf("Input '%s': datastore %s names storage account %s; the local stack reaches only account %s (Azurite).", k, p.datastore, clip(ds.AccountName, 100), s.blobAccount())
		}
		p.container = ds.ContainerName
		plans = append(plans, p)
	}
	return plans, nil
}

// cleanBlobPath reports whether p is a relative blob path without empty,
// "." or ".." segments or control characters.
func cleanBlobPath(p string) bool {
	if p == "" || strings.ContainsFunc(p, unicode.IsControl) || strings.Contains(p, "\\") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// errInputMissing marks an input whose path does not exist.
var errInputMissing = errors.New("input path does not exist")

// downloadInputs downloads every blob input below dir/inputs/<name> and
// returns the value each ${{inputs.<name>}} takes: the literal, the
// downloaded file or folder, or a Direct input's URI.
func (s *Server) downloadInputs(ctx context.Context, dir string, plans []inputPlan) (map[string]string, error) {
	values := make(map[string]string, len(plans))
	var client *azblob.Client
	for _, p := range plans {
		if !p.blob {
			values[p.name] = p.value
			continue
		}
		if client == nil {
			if s.opts.Blob.ConnectionString == "" {
				return nil, errors.New("the local stack has no blob storage configured for datastores (Options.Blob.ConnectionString)")
			}
			var err error
			if client, err = azblob.NewClientFromConnectionString(s.opts.Blob.ConnectionString, s.opts.Blob.ClientOptions); err != nil {
				return nil, fmt.Errorf("blob client: %w", err)
			}
		}
		base := filepath.Join(dir, "inputs", p.name)
		if err := os.MkdirAll(base, 0o700); err != nil {
			return nil, fmt.Errorf("create input folder: %w", err)
		}
		root, err := os.OpenRoot(base)
		if err != nil {
			return nil, fmt.Errorf("open input folder: %w", err)
		}
		if p.folder {
			err = downloadFolder(ctx, client, root, p)
			values[p.name] = base
		} else {
			name := path.Base(p.path)
			err = downloadBlob(ctx, client, root, p.container, p.path, name)
			values[p.name] = filepath.Join(base, name)
		}
		root.Close()
		if errors.Is(err, errInputMissing) {
			return nil, fmt.Errorf("Input '%s': %s does not exist: datastore %s (container %s) has no %s %s.", p.name, p.uri, p.datastore, p.container, map[bool]string{true: "blobs under", false: "blob"}[p.folder], p.path+map[bool]string{true: "/", false: ""}[p.folder])
		}
		if err != nil {
			return nil, fmt.Errorf("Input '%s': download %s: %w", p.name, p.uri, err)
		}
	}
	return values, nil
}

// downloadBlob streams one blob to rel inside root.
func downloadBlob(ctx context.Context, client *azblob.Client, root *os.Root, container, blob, rel string) error {
	resp, err := client.DownloadStream(ctx, container, blob, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) {
		return errInputMissing
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if dir := filepath.Dir(rel); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(rel, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// downloadFolder downloads every blob under the input's prefix, keeping
// their paths relative to it. A folder with no blob does not exist (blob
// storage has no empty folders).
func downloadFolder(ctx context.Context, client *azblob.Client, root *os.Root, p inputPlan) error {
	prefix := p.path + "/"
	pager := client.NewListBlobsFlatPager(p.container, &azblob.ListBlobsFlatOptions{Prefix: to.Ptr(prefix)})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return errInputMissing
		}
		if err != nil {
			return err
		}
		for _, item := range page.Segment.BlobItems {
			if item.Name == nil {
				continue
			}
			rel := strings.TrimPrefix(*item.Name, prefix)
			if !cleanBlobPath(rel) {
				return fmt.Errorf("blob %q has an empty, '.' or '..' segment", clip(*item.Name, 200))
			}
			if n++; n > maxInputBlobs {
				return fmt.Errorf("more than %d blobs under %s", maxInputBlobs, prefix)
			}
			if err := downloadBlob(ctx, client, root, p.container, *item.Name, filepath.FromSlash(rel)); err != nil {
				return err
			}
		}
	}
	if n == 0 {
		return errInputMissing
	}
	return nil
}
