package jobspec

// Distribution is the AzureML distribution type a multi-instance training
// job asks for. Its launcher starts process_count_per_instance copies of the
// command on each of the job's instances and gives each process plain
// environment variables: MASTER_ADDR, MASTER_PORT, WORLD_SIZE and NODE_RANK
// per node, RANK and LOCAL_RANK per process (Azure Machine Learning,
// "Distributed GPU training guide (SDK v2)", section PyTorch:
// https://learn.microsoft.com/azure/machine-learning/how-to-train-distributed-gpu;
// REST: PyTorch {distributionType: "PyTorch", processCountPerInstance} in
// the Microsoft.MachineLearningServices DistributionConfiguration). Unlike
// the Mpi type, whose image must ship an MPI library for AzureML's mpirun,
// this launcher needs nothing in the image: the trainer reads the variables
// and opens its own TCP connection to MASTER_ADDR:MASTER_PORT.
const Distribution = "PyTorch"

// Variables the distribution's launcher sets for each process, and the
// run ID AzureML sets in every job.
const (
	// EnvWorldSize is the number of processes in the job.
	EnvWorldSize = "WORLD_SIZE"
	// EnvRank is the process's rank, 0 to WORLD_SIZE-1; rank 0 merges the
	// trees and writes and uploads the model.
	EnvRank = "RANK"
	// EnvMasterAddr is the address of rank 0's node.
	EnvMasterAddr = "MASTER_ADDR"
	// EnvMasterPort is the port rank 0 listens on.
	EnvMasterPort = "MASTER_PORT"
	// EnvNodeRank is the node's rank; with one process per node it equals
	// EnvRank.
	EnvNodeRank = "NODE_RANK"
	// EnvLocalRank is the process's rank on its node.
	EnvLocalRank = "LOCAL_RANK"
	// EnvRunID is the job's run ID, the same in every process of the job.
	EnvRunID = "AZUREML_RUN_ID"
)
