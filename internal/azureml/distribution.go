package azureml

import "fmt"

// Distribution asks AzureML to run a command job as several processes:
// the PyTorch distribution type, whose launcher starts
// ProcessCountPerInstance processes on each of the job's instances and
// sets MASTER_ADDR, MASTER_PORT, WORLD_SIZE, NODE_RANK, RANK and
// LOCAL_RANK in each (REST: DistributionConfiguration with
// distributionType "PyTorch" and processCountPerInstance, Azure/azure-rest-api-specs
// machinelearningservices mfe.json; the variables: Azure Machine Learning,
// "Distributed GPU training guide", PyTorch per-process launch). The Mpi
// type would need an MPI library in the image and TensorFlow sets only
// TF_CONFIG, so the suite uses PyTorch's.
type Distribution struct {
	// ProcessCountPerInstance is the number of processes per instance
	// (default 1).
	ProcessCountPerInstance int
}

type (
	jobDistribution struct {
		DistributionType        string `json:"distributionType"`
		ProcessCountPerInstance int    `json:"processCountPerInstance,omitempty"`
	}
	// jobResources is JobResourceConfiguration (resources.instanceCount).
	jobResources struct {
		InstanceCount int `json:"instanceCount,omitempty"`
	}
)

// distributionType is the REST distributionType of Distribution.
const distributionType = "PyTorch"

// setDistribution puts job's instance count and distribution into p.
func setDistribution(p *jobProperties, job CommandJob) error {
	switch {
	case job.InstanceCount < 0:
		return fmt.Errorf("instance count %d is negative", job.InstanceCount)
	case job.Distribution != nil && job.Distribution.ProcessCountPerInstance < 0:
		return fmt.Errorf("process count per instance %d is negative", job.Distribution.ProcessCountPerInstance)
	}
	if job.InstanceCount > 0 {
		p.Resources = &jobResources{InstanceCount: job.InstanceCount}
	}
	if d := job.Distribution; d != nil {
		p.Distribution = &jobDistribution{DistributionType: distributionType, ProcessCountPerInstance: max(1, d.ProcessCountPerInstance)}
	}
	return nil
}

// distributionOf reads the distribution and instance count AzureML reports.
func distributionOf(p jobProperties) (*Distribution, int) {
	n := 0
	if p.Resources != nil {
		n = p.Resources.InstanceCount
	}
	if p.Distribution == nil || p.Distribution.DistributionType != distributionType {
		return nil, n
	}
	return &Distribution{ProcessCountPerInstance: p.Distribution.ProcessCountPerInstance}, n
}
