package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/rs/zerolog"

	"github.com/frogbridge/frogbridge/internal/devstack/envfile"
	"github.com/frogbridge/frogbridge/internal/devstack/funchost"
	"github.com/frogbridge/frogbridge/internal/funcpkg"
	"github.com/frogbridge/frogbridge/internal/logging"
	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/rotation"
)

// runDemo starts the local stack and the packaged app under the local
// Functions host, then walks through the suite's main job, printing each
// step.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appDir := fs.String("app", "dist/functionapp", "packaged function app folder (make package)")
	data := fs.String("data", ".devstack", "folder for the local stack's state and logs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d := &demo{out: stdout, data: *data, app: *appDir}
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(stderr, "\ndemo failed: %v\n(logs are in %s)\n", err, filepath.Join(*data, "logs"))
		return 1
	}
	return 0
}

type demo struct {
	out       io.Writer
	data, app string
	step      int
	settings  map[string]string
	hostURL   string
	client    *http.Client
	// cred gets the CI client's tokens when the package is for entra mode.
	cred azcore.TokenCredential
}

func (d *demo) say(format string, a ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n[%d] %s\n", d.step, fmt.Sprintf(format, a...))
}

func (d *demo) run(ctx context.Context) error {
	logs := filepath.Join(d.data, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The walkthrough starts from an empty stack so every step shows.
	if err := os.RemoveAll(filepath.Join(d.data, "stack")); err != nil {
		return err
	}
	d.say("Starting the local stack (Entra ID, Key Vault, JFrog Platform, AzureML, Azurite) in %s", d.data)
	stack, err := d.startStack(ctx, logs)
	if err != nil {
		return err
	}
	defer stack.stop()
	if d.settings["ROTATION_SCHEDULE"] == "" {
		ttl, err := strconv.Atoi(d.settings["SECRET_TTL"])
		if err != nil {
			ttl = rotationTTL
		}
		sched, err := rotation.Schedule(time.Duration(ttl) * time.Second)
		if err != nil {
			return err
		}
		d.settings["ROTATION_SCHEDULE"] = sched
	}
	d.settings["FUNCTIONS_MASTER_KEY"] = funchost.NewKey()
	d.settings["FUNCTIONS_DEFAULT_KEY"] = funchost.NewKey()
	if err := d.useEntra(); err != nil {
		return err
	}

	d.say("Starting the function app %s under the local Functions host", d.app)
	hostErr, err := d.startHost(ctx, logs)
	if err != nil {
		return err
	}
	d.client = &http.Client{Timeout: 2 * time.Minute}

	d.say("GET %s/api/health (no token stored yet)", d.hostURL)
	status, body, err := d.call(ctx, http.MethodGet, "/api/health", "", "")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d\n%s\n", status, body)

	if err := d.story(ctx); err != nil {
		return err
	}
	cancel()
	if err := <-hostErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(d.out, "\ndone: the local stack and the host are stopped.")
	return nil
}

// story runs the suite's main job against the host.
func (d *demo) story(ctx context.Context) error {
	d.say("Rotating the JFrog token with the timer function (POST /admin/functions/KeyVaultSecretRotation, master key)")
	status, body, err := d.call(ctx, http.MethodPost, "/admin/functions/KeyVaultSecretRotation", `{"input":""}`, "master")
	if err != nil {
		return err
	}
	if status != http.StatusAccepted {
		return fmt.Errorf("timer invocation answered %d: %s", status, body)
	}
	fmt.Fprintln(d.out, "HTTP 202: the host runs the timer in the background; waiting for Key Vault to hold the token")
	var health struct {
		Status string `json:"status"`
		Token  *struct {
			Version   string `json:"secret_version"`
			Username  string `json:"username"`
			ExpiresOn string `json:"expires_on"`
			Next      string `json:"next_rotation"`
		} `json:"token"`
		Reasons []string `json:"reasons"`
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, body, err := d.call(ctx, http.MethodGet, "/api/health/details", "", "function")
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(body), &health); err == nil && health.Token != nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no token in Key Vault after a minute; health says: %s", body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	fmt.Fprintf(d.out, "Key Vault holds version %s for JFrog user %s, expiring %s; next scheduled rotation %s; health: %s\n",
		health.Token.Version, health.Token.Username, health.Token.ExpiresOn, health.Token.Next, health.Status)

	d.say("Calling the HTTP rotation with no %s", d.credential())
	status, _, err = d.call(ctx, http.MethodPost, "/api/KeyVaultSecretRotation", "", "")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d (calls without one are refused)\n", status)

	d.say("POST /api/KeyVaultSecretRotation (%s): the stored token is fresh, so this run skips", d.credential())
	status, body, err = d.call(ctx, http.MethodPost, "/api/KeyVaultSecretRotation", "", "function")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d\n%s", status, body)

	d.say("POST /api/KeyVaultSecretRotation?force=true (%s): rotate now", d.credential())
	status, body, err = d.call(ctx, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", "function")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d\n%s", status, body)
	if status != http.StatusOK {
		return fmt.Errorf("forced rotation failed with %d", status)
	}
	return d.jobs(ctx)
}

// demoDataset is the dataset the demo pushes to the ML repository.
const demoDataset = "iris-demo"

// pushDataset stores the Iris CSV as a dataset version in the ML
// repository with `trainer dataset push`, as a data scientist would from
// a laptop (JF_URL and JF_ACCESS_TOKEN, as frogml reads them), and returns
// the version.
func (d *demo) pushDataset(ctx context.Context) (string, error) {
	version := "v" + time.Now().UTC().Format("20060102150405")
	d.say("trainer dataset push --name %s --version %s iris.csv: store the training data in the ML repository %s", demoDataset, version, d.settings["ARTIFACTORY_ML_REPO"])
	csvPath := filepath.Join(d.data, "iris.csv")
	if err := os.WriteFile(csvPath, ml.IrisCSV, 0o600); err != nil {
		return "", err
	}
	trainer := findTrainer()
	if trainer == "" {
		return "", errors.New("no trainer binary beside devstack or on PATH (run make build)")
	}
	cmd := exec.CommandContext(ctx, trainer, "dataset", "push", "--name", demoDataset, "--version", version, csvPath)
	cmd.Env = append(os.Environ(), "JF_URL="+d.settings["ARTIFACTORY_URL"], "JF_ACCESS_TOKEN="+d.settings["JFROG_ADMIN_TOKEN"],
		"ARTIFACTORY_ML_REPO="+d.settings["ARTIFACTORY_ML_REPO"], "SSL_CERT_FILE="+d.settings["SSL_CERT_FILE"])
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("trainer dataset push: %w", err)
	}
	return version, nil
}

// jobs pushes a dataset, submits training on it, follows it, deploys the
// model version it uploaded to Artifactory and shows the inference
// results.
func (d *demo) jobs(ctx context.Context) error {
	version, err := d.pushDataset(ctx)
	if err != nil {
		return err
	}
	d.say("POST /api/jobs/training (%s): train on dataset %s version %s on AzureML and upload the model to Artifactory", d.credential(), demoDataset, version)
	req := fmt.Sprintf(`{"hyperparameters": {"n_estimators": 100}, "data": {"dataset": {"name": %q, "version": %q}, "label": "label", "split_column": "split"}}`, demoDataset, version)
	status, body, err := d.call(ctx, http.MethodPost, "/api/jobs/training", req, "function")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d\n%s", status, body)
	if status != http.StatusAccepted {
		return fmt.Errorf("training submission failed with %d", status)
	}
	var sub struct {
		JobName string `json:"job_name"`
	}
	if err := json.Unmarshal([]byte(body), &sub); err != nil {
		return err
	}
	d.say("Following job %s", sub.JobName)
	var train struct {
		Status   string `json:"status"`
		Error    string `json:"error"`
		Training *struct {
			ModelName string  `json:"model_name"`
			Version   string  `json:"version"`
			Accuracy  float64 `json:"accuracy"`
			Dataset   string  `json:"dataset"`
		} `json:"training"`
	}
	if err := d.follow(ctx, sub.JobName, &train); err != nil {
		return err
	}
	if train.Status != "Completed" || train.Training == nil {
		return fmt.Errorf("training ended %s: %s", train.Status, train.Error)
	}
	fmt.Fprintf(d.out, "model %s version %s, trained on %s, is in Artifactory repository %s (test accuracy %.3f)\n",
		train.Training.ModelName, train.Training.Version, train.Training.Dataset, d.settings["ARTIFACTORY_ML_REPO"], train.Training.Accuracy)

	d.say("POST /api/jobs/deployment (%s): batch inference with model %s version %s", d.credential(), train.Training.ModelName, train.Training.Version)
	req = fmt.Sprintf(`{"model_name": %q, "model_version": %q}`, train.Training.ModelName, train.Training.Version)
	status, body, err = d.call(ctx, http.MethodPost, "/api/jobs/deployment", req, "function")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HTTP %d\n%s", status, body)
	if status != http.StatusAccepted {
		return fmt.Errorf("deployment submission failed with %d", status)
	}
	if err := json.Unmarshal([]byte(body), &sub); err != nil {
		return err
	}
	d.say("Following job %s", sub.JobName)
	var deploy struct {
		Status     string `json:"status"`
		Error      string `json:"error"`
		Deployment *struct {
			Accuracy          float64  `json:"accuracy"`
			TestSamples       int      `json:"test_samples"`
			SamplePredictions []string `json:"sample_predictions"`
		} `json:"deployment"`
	}
	if err := d.follow(ctx, sub.JobName, &deploy); err != nil {
		return err
	}
	if deploy.Status != "Completed" || deploy.Deployment == nil {
		return fmt.Errorf("deployment ended %s: %s", deploy.Status, deploy.Error)
	}
	fmt.Fprintf(d.out, "inference accuracy %.3f on %d test samples; sample predictions: %s\n",
		deploy.Deployment.Accuracy, deploy.Deployment.TestSamples, strings.Join(deploy.Deployment.SamplePredictions, ", "))
	return nil
}

// follow polls GET /api/jobs/{name}, printing each status change, until the
// job ends; v receives the last answer.
func (d *demo) follow(ctx context.Context, name string, v any) error {
	last := ""
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		status, body, err := d.call(ctx, http.MethodGet, "/api/jobs/"+name, "", "function")
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET /api/jobs/%s answered %d: %s", name, status, body)
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return err
		}
		if st.Status != last {
			fmt.Fprintf(d.out, "  %s\n", st.Status)
			last = st.Status
		}
		switch st.Status {
		case "Completed", "Failed", "Canceled":
			fmt.Fprintln(d.out, body)
			return json.Unmarshal([]byte(body), v)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("job %s did not finish within 5 minutes", name)
}

type stackProc struct {
	cmd  *exec.Cmd
	done chan error
}

func (s *stackProc) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// startStack runs `devstack up` as a child process and waits for its env
// file.
func (d *demo) startStack(ctx context.Context, logs string) (*stackProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	envPath := filepath.Join(d.data, "devstack.env")
	os.Remove(envPath)
	logf, err := os.Create(filepath.Join(logs, "devstack-up.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "up", "--data", filepath.Join(d.data, "stack"), "--env-file", envPath, "--port-base", "0")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start devstack up: %w", err)
	}
	s := &stackProc{cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	deadline := time.After(2 * time.Minute)
	for {
		if m, err := envfile.ReadFile(envPath); err == nil && len(m) > 0 {
			d.settings = m
			fmt.Fprintf(d.out, "local stack ready; settings in %s\n", envPath)
			return s, nil
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("devstack up exited (%v); see %s", err, logf.Name())
		case <-deadline:
			s.stop()
			return nil, errors.New("devstack up did not write its env file within 2 minutes")
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (d *demo) startHost(ctx context.Context, logs string) (<-chan error, error) {
	app, err := funcpkg.Load(d.app)
	if err != nil {
		return nil, fmt.Errorf("%w (run make package)", err)
	}
	logf, err := os.Create(filepath.Join(logs, "host.log"))
	if err != nil {
		return nil, err
	}
	h, err := funchost.New(funchost.Options{
		App: app, Addr: "127.0.0.1:0", Settings: d.settings,
		MasterKey: d.settings["FUNCTIONS_MASTER_KEY"], FunctionKey: d.settings["FUNCTIONS_DEFAULT_KEY"],
		Logger: logging.New(logf, zerolog.InfoLevel), Stdout: logf, Stderr: logf,
	})
	if err != nil {
		return nil, err
	}
	if err := h.Listen(); err != nil {
		return nil, err
	}
	d.hostURL = h.URL()
	errc := make(chan error, 1)
	go func() { errc <- h.Run(ctx) }()
	// The host serves once the handler answers its readiness ping.
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(d.hostURL + "/api/health")
		if err == nil {
			resp.Body.Close()
			fmt.Fprintf(d.out, "host listening on %s (handler logs in %s)\n", d.hostURL, logf.Name())
			return errc, nil
		}
		select {
		case err := <-errc:
			return nil, fmt.Errorf("host stopped: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, errors.New("the host did not answer within 40 s")
}

// call sends a request to the host with the function key (the CI client's
// Entra ID token in entra mode) when key is "function", the master key when
// "master".
func (d *demo) call(ctx context.Context, method, path, body, key string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.hostURL+path, rd)
	if err != nil {
		return 0, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch key {
	case "function":
		if d.cred != nil {
			auth, err := d.bearer(ctx)
			if err != nil {
				return 0, "", err
			}
			req.Header.Set("Authorization", auth)
			break
		}
		req.Header.Set("x-functions-key", d.settings["FUNCTIONS_DEFAULT_KEY"])
	case "master":
		req.Header.Set("x-functions-key", d.settings["FUNCTIONS_MASTER_KEY"])
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), err
}
