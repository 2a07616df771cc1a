package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

// Distributed places the trainer in a multi-process job, as the AzureML
// launcher of jobspec.Distribution describes it in the environment.
type Distributed struct {
	// WorldSize is WORLD_SIZE, 1 when unset.
	WorldSize int
	// Rank is RANK, 0 when unset.
	Rank int
	// MasterAddr is MASTER_ADDR:MASTER_PORT, where rank 0 listens; empty
	// when WorldSize is 1.
	MasterAddr string
	// RunID is AZUREML_RUN_ID, which binds the ranks' key to the job.
	RunID string
}

// loadDistributed reads the launcher's variables. A bad value is an error
// naming the variable; a single process needs none of them.
func loadDistributed(get func(string) string) (Distributed, error) {
	d := Distributed{WorldSize: 1, RunID: get(jobspec.EnvRunID)}
	vars := map[string]string{}
	for _, name := range []string{jobspec.EnvWorldSize, jobspec.EnvRank, jobspec.EnvMasterAddr, jobspec.EnvMasterPort} {
		vars[name] = get(name)
	}
	get = func(name string) string { return vars[name] }
	num := func(name string, lo, hi int) (int, error) {
		v := get(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%s=%q: must be a whole number from %d to %d (the AzureML %s launcher sets it)", name, v, lo, hi, jobspec.Distribution)
		}
		return n, nil
	}
	if get(jobspec.EnvWorldSize) == "" {
		return d, nil
	}
	var err error
	if d.WorldSize, err = num(jobspec.EnvWorldSize, 1, MaxWorldSize); err != nil {
		return Distributed{WorldSize: 1}, err
	}
	if d.WorldSize == 1 {
		return d, nil
	}
	var problems []error
	if get(jobspec.EnvRank) == "" {
		problems = append(problems, fmt.Errorf("%s is not set while %s=%d: run the trainer under the AzureML %s launcher, which sets both", jobspec.EnvRank, jobspec.EnvWorldSize, d.WorldSize, jobspec.Distribution))
	} else if d.Rank, err = num(jobspec.EnvRank, 0, d.WorldSize-1); err != nil {
		problems = append(problems, err)
	}
	host := get(jobspec.EnvMasterAddr)
	if host == "" || strings.ContainsAny(host, "/ ") {
		problems = append(problems, fmt.Errorf("%s=%q: must be the host name or address of rank 0's node", jobspec.EnvMasterAddr, host))
	}
	port, err := num(jobspec.EnvMasterPort, 1, 65535)
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return Distributed{WorldSize: 1}, errors.Join(problems...)
	}
	d.MasterAddr = net.JoinHostPort(host, strconv.Itoa(port))
	return d, nil
}

// MaxWorldSize bounds WORLD_SIZE; the handler's instance_count maximum is
// at most this.
const MaxWorldSize = 64
