package jfrog

// entityKind is what differs between the two entities of a Machine
// Learning repository, models and datasets. frogml stores both with one
// protocol (FrogMLStorage.__upload_entity_version and
// __download_entity_version), parameterized by FrogMLEntityTypeInfo:
// MODEL = ("model", "models", "model-manifest.json", "modelManifest"),
// DATASET = ("dataset", "datasets", "dataset-manifest.json",
// "datasetManifest"); the manifest lists files under "model_artifacts" or
// "dataset_artifacts" [frogml storage: models/frogml_entity_type_info.py,
// constants.py, models/dataset_manifest.py, frog_ml.py
// _get_download_context_list; read in the source of the frogml_storage
// package, frogml's storage layer. NOT VERIFIED: that frogml 1.2.46's
// frogml/storage is the same code; its constants.py names the same
// manifest files, see skippedNames].
type entityKind struct {
	// api is the path segment after the repository in
	// /api/machinelearning/{repo}/{api}/... and the entity_type.
	api string
	// root is the repository folder of the entity (folder_name).
	root string
	// group is the sub-folder of a stored version that holds its files
	// (INFERRED: frogml only reveals the upload paths the server returns).
	group string
	// manifestFile is the manifest's file name (metadata_file_name).
	manifestFile string
	// manifestPart is the multipart part of the manifest in the
	// end-transaction call (body_part_stream).
	manifestPart string
	// noun names the entity in messages.
	noun string
}

var (
	modelKind   = entityKind{api: "model", root: "models", group: "model", manifestFile: manifestFileName, manifestPart: "modelManifest", noun: "model"}
	datasetKind = entityKind{api: "dataset", root: "datasets", group: "dataset", manifestFile: datasetManifestFileName, manifestPart: "datasetManifest", noun: "dataset"}
)

// datasetManifestFileName is the entity manifest frogml writes for a
// dataset version.
const datasetManifestFileName = "dataset-manifest.json"
