package azureml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// maxDatastorePages bounds the pages followed when listing datastores.
const maxDatastorePages = 20

// Datastore is a workspace's blob datastore.
type Datastore struct {
	// Name is the datastore name, such as workspaceblobstore.
	Name string
	// AccountName is the storage account.
	AccountName string
	// ContainerName is the blob container, such as
	// azureml-blobstore-<workspace guid>.
	ContainerName string
	// Endpoint is the storage endpoint suffix, such as core.windows.net.
	Endpoint string
	// Protocol is https (or http).
	Protocol string
	// ServiceURL is the blob service URL when the server states it
	// explicitly. Azure does not; the local stack does, in
	// properties.blobServiceUrl, because Azurite's URL
	// (https://127.0.0.1:port/devstoreaccount1) cannot be built from the
	// account name and endpoint suffix.
	ServiceURL string
	// IsDefault reports whether this is the workspace's default datastore.
	IsDefault bool
}

// BlobServiceURL returns the URL azblob.NewClient takes: ServiceURL when
// set, else <protocol>://<account>.blob.<endpoint>/.
func (d Datastore) BlobServiceURL() string {
	if d.ServiceURL != "" {
		return strings.TrimRight(d.ServiceURL, "/") + "/"
	}
	proto := d.Protocol
	if proto == "" {
		proto = "https"
	}
	ep := d.Endpoint
	if ep == "" {
		ep = "core.windows.net"
	}
	return proto + "://" + d.AccountName + ".blob." + ep + "/"
}

type datastoreResource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		DatastoreType  string `json:"datastoreType"`
		AccountName    string `json:"accountName"`
		ContainerName  string `json:"containerName"`
		Endpoint       string `json:"endpoint"`
		Protocol       string `json:"protocol"`
		IsDefault      bool   `json:"isDefault"`
		BlobServiceURL string `json:"blobServiceUrl"`
	} `json:"properties"`
}

type datastoreList struct {
	Value    []datastoreResource `json:"value"`
	NextLink string              `json:"nextLink"`
}

// GetDefaultDatastore returns the workspace's default datastore (normally
// the blob datastore workspaceblobstore), where job outputs land.
func (c *Client) GetDefaultDatastore(ctx context.Context) (Datastore, error) {
	const op = "get default datastore"
	next := c.url("/datastores") + "&isDefault=true"
	for range maxDatastorePages {
		var page datastoreList
		if _, err := c.do(ctx, op, http.MethodGet, next, nil, &page, http.StatusOK); err != nil {
			return Datastore{}, err
		}
		for _, r := range page.Value {
			if r.Properties.IsDefault {
				return toDatastore(r)
			}
		}
		if page.NextLink == "" {
			break
		}
		u, err := url.Parse(page.NextLink)
		if err != nil || !strings.HasPrefix(page.NextLink, c.ep+"/") {
			return Datastore{}, fmt.Errorf("azureml %s: nextLink %q is not below the ARM endpoint %s", op, upstream.Clean(page.NextLink, 200), c.ep)
		}
		next = u.String()
	}
	return Datastore{}, fmt.Errorf("azureml %s: workspace %s has no default datastore: set one (az ml datastore update --set is_default=true)", op, c.ws.Name)
}

// GetDatastore returns the datastore name.
func (c *Client) GetDatastore(ctx context.Context, name string) (Datastore, error) {
	var r datastoreResource
	if _, err := c.do(ctx, "get datastore "+name, http.MethodGet, c.url("/datastores/"+url.PathEscape(name)), nil, &r, http.StatusOK); err != nil {
		return Datastore{}, err
	}
	return toDatastore(r)
}

func toDatastore(r datastoreResource) (Datastore, error) {
	p := r.Properties
	if p.DatastoreType != "" && p.DatastoreType != "AzureBlob" {
		return Datastore{}, fmt.Errorf("azureml: datastore %s is of type %s, not AzureBlob: make a blob datastore the workspace default", r.Name, p.DatastoreType)
	}
	if p.AccountName == "" || p.ContainerName == "" {
		return Datastore{}, errors.New("azureml: datastore " + r.Name + " has no account or container name")
	}
	if p.BlobServiceURL != "" {
		u, err := url.Parse(p.BlobServiceURL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return Datastore{}, fmt.Errorf("azureml: datastore %s has an invalid blob service URL", r.Name)
		}
	}
	return Datastore{
		Name: r.Name, AccountName: p.AccountName, ContainerName: p.ContainerName,
		Endpoint: p.Endpoint, Protocol: p.Protocol, ServiceURL: p.BlobServiceURL, IsDefault: p.IsDefault,
	}, nil
}

// OutputDatastore returns the datastore job's output lands on: the one its
// URI names (azureml://datastores/<ds>/paths/<path>), or "" when the URI is
// omitted or names ${{default_datastore}}, which means the workspace's
// default datastore [A9, A10 in ../shared/reference/azure.md].
func OutputDatastore(job Job, output string) string {
	if o, ok := job.Outputs[output]; ok && o.URI != "" {
		if p, ok := strings.CutPrefix(o.URI, "azureml://datastores/"); ok {
			if ds, _, ok := strings.Cut(p, "/paths/"); ok && ds != "${{default_datastore}}" {
				return ds
			}
		}
	}
	return ""
}

// OutputPrefix returns the blob name prefix under which job's output lands
// on the default datastore when the output URI is omitted or follows the
// azureml://datastores/<ds>/paths/<path> form: azureml/<job>/<output>/.
func OutputPrefix(job Job, output string) string {
	if o, ok := job.Outputs[output]; ok && o.URI != "" {
		if p, ok := strings.CutPrefix(o.URI, "azureml://datastores/"); ok {
			if _, path, ok := strings.Cut(p, "/paths/"); ok {
				path = strings.ReplaceAll(path, "${{name}}", job.Name)
				path = strings.ReplaceAll(path, "${{output_name}}", output)
				path = strings.TrimLeft(path, "/")
				if !strings.HasSuffix(path, "/") {
					path += "/"
				}
				return path
			}
		}
	}
	return "azureml/" + job.Name + "/" + output + "/"
}
