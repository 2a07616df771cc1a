// Package localazureml is the local stack's Azure Machine Learning: an HTTP
// server that answers the Azure Resource Manager routes of
// Microsoft.MachineLearningServices workspaces the suite uses, with the
// request and response shapes, status codes and properties.status values of
// api-version 2025-09-01, and that really runs submitted command jobs.
//
// Routes, below
// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}
// and all requiring ?api-version (2025-09-01 or 2025-12-01):
//
//	GET      (the workspace: properties.discoveryUrl)
//	PUT|GET  /environments/{name}/versions/{version}
//	PUT|GET  /connections/{name}          POST /connections/{name}/listsecrets
//	PUT|GET  /jobs/{name}                 POST /jobs/{name}/cancel
//	GET      /datastores[?isDefault=true|false]
//	PUT|GET  /datastores/{name}           POST /datastores/{name}/listSecrets
//	PUT|GET  /data/{name}/versions/{version}
//
// and the cancel operation's Location,
// /subscriptions/{sub}/providers/Microsoft.MachineLearningServices/locations/local/mfeOperationResults/{id},
// which answers 202 until the job is terminal and 200 after; the discovery
// document GET /discovery (no token) whose "api" entry is the server; and
// the run history's GET /history/v1.0/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}/runs/{job}/details
// (no api-version), where a failed job's error is, as in AzureML (sources
// in runhistory.go). A job's Studio
// service endpoint points at /studio/runs/{job}?wsid=…, a plain-text page
// (loopback callers only, no token) with the job's status, error and log.
//
// A job walks NotStarted → Queued → Running → Finalizing → Completed, or
// ends Failed or Canceled. Instead of pulling the environment's image, the
// server checks the workspace connection whose target host matches the
// image's registry with Options.CheckRegistry (a refused credential fails
// the job like a failed image pull). It then runs the command as a local
// process without a shell: the command is split like a shell would split it
// (quotes and backslashes, no expansion), "trainer" resolves to
// Options.TrainerPath, ${{outputs.<name>}} becomes a local folder and
// ${{inputs.<name>}} the literal value or, for a uri_file or uri_folder
// input, the local path it was downloaded to. An input's uri is
// azureml://datastores/<ds>/paths/<path> or azureml:<data asset>:<version>
// (whose dataUri is such a datastore URI); the datastore must be on the
// server's storage account (Azurite), and a uri_file downloads one blob to
// inputs/<name>/<file name>, a uri_folder every blob under <path>/ to
// inputs/<name>/, keeping relative paths. Every mode but Direct downloads
// (the local stack mounts nothing); Direct passes the URI. A missing data
// asset, datastore or blob fails the job before the process starts, with an
// error naming the input. The process gets Options.ComputeEnv,
// the job's environmentVariables, AZUREML_RUN_ID, AZURE_ML_INPUT_<name> and
// AZURE_ML_OUTPUT_<name>; its output goes to user_logs/std_log.txt in the
// job's folder. On exit 0 each output folder is uploaded with azblob to the
// workspace's blob datastore (Azurite) under the output's path, by default
// azureml/<job>/<output>/, and the job completes; otherwise it fails with
// an error naming the exit status and the last lines of stderr. A job with
// resources.instanceCount N and the PyTorch distribution runs N ×
// processCountPerInstance such processes, each with MASTER_ADDR=127.0.0.1,
// MASTER_PORT, WORLD_SIZE, RANK, NODE_RANK and LOCAL_RANK as AzureML's
// launcher sets them, and fails when any rank fails (distributed.go).
//
// Local-stack specifics, each documented where it is produced:
//   - the default datastore carries properties.blobServiceUrl, the Azurite
//     URL, because it cannot be derived from accountName and endpoint; a
//     PUT may set it on any datastore (and so point one elsewhere, as a
//     workspace user with write access to datastores can in Azure);
//   - workspaceblobstore exists in every workspace until a PUT replaces it,
//     and stays the default; datastores other than AzureBlob are refused;
//   - a data version's dataType and dataUri cannot change once created
//     (only description, tags and isArchived); the real service's answer to
//     such a PUT is not documented, so the local stack refuses it with 409
//     UserError, as it does for environment versions;
//   - jobs that were not terminal when the server stopped are Failed with
//     "local stack restarted" when it starts again.
//
// State (environments, connections, datastores, data versions, jobs,
// operations) is kept in
// DataDir/state.json, replaced atomically on every change.
package localazureml
