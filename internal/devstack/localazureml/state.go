package localazureml

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/store"
)

// stateFile is the state's file name in DataDir.
const stateFile = "state.json"

// state is everything the server persists.
type state struct {
	Workspaces map[string]*workspace `json:"workspaces"`
	// Operations maps a cancel operation id to the job it cancels.
	Operations map[string]operation `json:"operations"`
}

// workspace is one workspace's resources.
type workspace struct {
	SubscriptionID string                 `json:"subscriptionId"`
	ResourceGroup  string                 `json:"resourceGroup"`
	Name           string                 `json:"name"`
	GUID           string                 `json:"guid"`
	Environments   map[string]*envVersion `json:"environments"`
	Connections    map[string]*connection `json:"connections"`
	Jobs           map[string]*job        `json:"jobs"`
	// Datastores are the datastores created or replaced with PUT, by
	// lower-case name; workspaceblobstore is built in until replaced.
	Datastores map[string]*storedDatastore `json:"datastores,omitempty"`
	// Data are the data asset versions, by dataKey.
	Data map[string]*dataVersion `json:"data,omitempty"`
}

// envVersion is a stored environment version.
type envVersion struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Image       string            `json:"image"`
	OSType      string            `json:"osType"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

// connection is a stored workspace connection. Password is kept in the
// state file (mode 0600) so that listsecrets and the registry check can use
// it; it is never logged or returned by GET.
type connection struct {
	Name          string    `json:"name"`
	Category      string    `json:"category"`
	Target        string    `json:"target"`
	AuthType      string    `json:"authType"`
	Username      string    `json:"username,omitempty"`
	Password      string    `json:"password,omitempty"`
	IsSharedToAll bool      `json:"isSharedToAll"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// job is a stored job: its definition as submitted plus its run state.
type job struct {
	Name         string    `json:"name"`
	Def          jobProps  `json:"definition"`
	Status       string    `json:"status"`
	ErrorCode    string    `json:"errorCode,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	StartedAt    time.Time `json:"startedAt,omitzero"`
	EndedAt      time.Time `json:"endedAt,omitzero"`
	// Dir is the job's local folder (outputs, user_logs).
	Dir string `json:"dir"`
}

// operation is a pending or finished cancel operation.
type operation struct {
	Workspace string `json:"workspace"`
	Job       string `json:"job"`
}

// Job statuses the server reports.
const (
	statusNotStarted      = "NotStarted"
	statusQueued          = "Queued"
	statusRunning         = "Running"
	statusFinalizing      = "Finalizing"
	statusCancelRequested = "CancelRequested"
	statusCompleted       = "Completed"
	statusFailed          = "Failed"
	statusCanceled        = "Canceled"
)

// terminal reports whether status is final.
func terminal(status string) bool {
	return status == statusCompleted || status == statusFailed || status == statusCanceled
}

// wsKey is a workspace's map key; ARM names are case-insensitive.
func wsKey(sub, rg, name string) string {
	return strings.ToLower(sub + "/" + rg + "/" + name)
}

// workspaceGUID derives a stable GUID for a workspace.
func workspaceGUID(key string) string {
	s := sha256.Sum256([]byte(key))
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// loadState reads the state in dir, or returns an empty state, and fails
// every job that was not terminal: its process did not survive the
// restart.
func loadState(dir string, now time.Time) (*state, error) {
	st := &state{}
	err := store.ReadJSON(filepath.Join(dir, stateFile), st)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("azureml: read state (delete %s to start afresh): %w", filepath.Join(dir, stateFile), err)
	}
	if st.Workspaces == nil {
		st.Workspaces = map[string]*workspace{}
	}
	if st.Operations == nil {
		st.Operations = map[string]operation{}
	}
	for _, ws := range st.Workspaces {
		if ws.Datastores == nil {
			ws.Datastores = map[string]*storedDatastore{}
		}
		if ws.Data == nil {
			ws.Data = map[string]*dataVersion{}
		}
		for _, j := range ws.Jobs {
			if !terminal(j.Status) {
				j.ErrorCode = "ServiceError"
				j.ErrorMessage = fmt.Sprintf("local stack restarted while the job was %s; submit it again", j.Status)
				j.Status = statusFailed
				j.EndedAt, j.UpdatedAt = now, now
			}
		}
	}
	return st, nil
}

// saveLocked writes the state atomically. The caller holds s.mu.
func (s *Server) saveLocked() error {
	if err := store.WriteJSON(filepath.Join(s.opts.DataDir, stateFile), s.st); err != nil {
		return fmt.Errorf("azureml: save state: %w", err)
	}
	return nil
}

// newWorkspace returns an empty workspace.
func newWorkspace(sub, rg, name string) *workspace {
	return &workspace{
		SubscriptionID: sub, ResourceGroup: rg, Name: name, GUID: workspaceGUID(wsKey(sub, rg, name)),
		Environments: map[string]*envVersion{}, Connections: map[string]*connection{}, Jobs: map[string]*job{},
		Datastores: map[string]*storedDatastore{}, Data: map[string]*dataVersion{},
	}
}

// id returns the workspace's ARM id.
func (w *workspace) id() string {
	return "/subscriptions/" + w.SubscriptionID + "/resourceGroups/" + w.ResourceGroup +
		"/providers/" + provider + "/workspaces/" + w.Name
}
