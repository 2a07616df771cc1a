package azureml

import (
	"fmt"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// Name patterns. AzureML accepts letters, digits, '-' and '_' in job and
// connection names and also '.' in environment names and versions; these
// patterns are deliberately a little stricter (a leading letter or digit,
// bounded length, checked beside the pattern so that the patterns compile
// fast at start) because the names also end up in command lines, blob
// paths and URLs.
var (
	jobNamePattern     = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	envNamePattern     = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envVersionPattern  = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	connNamePattern    = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_-]+$`)
	computeNamePattern = lazyregexp.New(`^[A-Za-z][A-Za-z0-9-]{1,31}$`)
	outputNamePattern  = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidateJobName reports whether name is a valid job name: 1–255 letters,
// digits, '-' or '_', starting with a letter or digit.
func ValidateJobName(name string) error {
	if len(name) > 255 || !jobNamePattern.MatchString(name) {
		return fmt.Errorf("%w: job name %q: use 1-255 letters, digits, '-' or '_', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// ValidateEnvironmentName reports whether name is a valid environment name:
// 1–255 letters, digits, '.', '-' or '_', starting with a letter or digit.
func ValidateEnvironmentName(name string) error {
	if len(name) > 255 || !envNamePattern.MatchString(name) {
		return fmt.Errorf("%w: environment name %q: use 1-255 letters, digits, '.', '-' or '_', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// ValidateEnvironmentVersion reports whether version is a valid environment
// version: 1–128 letters, digits, '.', '-' or '_', starting with a letter or
// digit (an image tag such as 1.4.2 or sha-abc123 fits).
func ValidateEnvironmentVersion(version string) error {
	if len(version) > 128 || !envVersionPattern.MatchString(version) {
		return fmt.Errorf("%w: environment version %q: use 1-128 letters, digits, '.', '-' or '_', starting with a letter or digit", ErrInvalidName, version)
	}
	return nil
}

// ValidateConnectionName reports whether name is a valid workspace
// connection name: 2–255 letters, digits, '-' or '_', starting with a letter
// or digit.
func ValidateConnectionName(name string) error {
	if len(name) > 255 || !connNamePattern.MatchString(name) {
		return fmt.Errorf("%w: connection name %q: use 2-255 letters, digits, '-' or '_', starting with a letter or digit", ErrInvalidName, name)
	}
	return nil
}

// ValidateComputeName reports whether name is a valid compute name: 2–32
// letters, digits or '-', starting with a letter (AzureML's rule for
// compute clusters).
func ValidateComputeName(name string) error {
	if !computeNamePattern.MatchString(name) {
		return fmt.Errorf("%w: compute name %q: use 2-32 letters, digits or '-', starting with a letter (AZUREML_COMPUTE_NAME)", ErrInvalidName, name)
	}
	return nil
}

// ValidateOutputName reports whether name is a valid job input or output
// name (the part after "outputs." in a ${{outputs.name}} expression).
func ValidateOutputName(name string) error {
	if len(name) > 255 || !outputNamePattern.MatchString(name) {
		return fmt.Errorf("%w: output name %q: use letters, digits and '_', not starting with a digit", ErrInvalidName, name)
	}
	return nil
}
