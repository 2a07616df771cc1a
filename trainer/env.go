package main

import "os"

// Environment variables the trainer reads as flag defaults, named as the
// AzureML job and the reference trainer set them.
const (
	envModelName    = "MODEL_NAME"
	envModelVersion = "MODEL_VERSION"
	envOutputDir    = "AZUREML_SCRIPT_OUTPUT_DIR"
	envImage        = "TRAINER_IMAGE"
	envImageName    = "TRAINER_IMAGE_NAME"
	envImageTag     = "TRAINER_IMAGE_TAG"
)

// envOr returns the value of the environment variable name, or def when it
// is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// imageRef returns the container image reference the trainer runs in, from
// TRAINER_IMAGE or TRAINER_IMAGE_NAME[:TRAINER_IMAGE_TAG]; empty outside a
// container image.
func imageRef() string {
	if v := os.Getenv(envImage); v != "" {
		return v
	}
	name := os.Getenv(envImageName)
	if name == "" {
		return ""
	}
	if tag := os.Getenv(envImageTag); tag != "" {
		return name + ":" + tag
	}
	return name
}
