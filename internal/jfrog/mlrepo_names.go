package jfrog

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// ErrInvalidInput matches errors for a repository key, model name, version,
// property or artifact path that breaks frogml's rules. Such errors are
// returned before any request is made.
var ErrInvalidInput = errors.New("jfrog: invalid input")

// LatestVersion is the version argument that ResolveVersion resolves to the
// newest version of a model.
const LatestVersion = "latest"

// frogml 1.2.46 checks its input before it sends a request, and the suite
// applies the same rules to everything it writes. From frogml's source
// (PyPI frogml 1.2.46):
//
//   - frogml/storage/utils/_input_checks_utility.py, user_input_validation,
//     which FrogMLStorage.upload_model_version runs on the entity name,
//     namespace, version and every property: each at most
//     FROG_ML_MAX_CHARS_FOR_NAME = 60 characters ("Max length for … is 60
//     characters"); names, namespaces, versions and property keys match
//     ^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$; property values match
//     (^[a-zA-Z0-9_-]+([./][a-zA-Z0-9_-]+)*$)|(^\[[\[\]\d.,\s-]+\]$).
//     A None field is skipped; an empty string fails the pattern.
//   - frogml/sdk/model_version/utils/model_log_config.py, ModelLogConfig:
//     model_name 1-60 characters with the same pattern (re.fullmatch),
//     repository at least 1 character, framework_version PEP 440 when set,
//     dependencies a non-empty list without empty strings when given.
//     Parameters and metrics are merged into the properties as str(value),
//     so they obey the property rules.
//   - Counts: frogml limits neither the number of properties nor of files.
//
// Python's re.match lets "$" match before a final newline, and its \d and
// \s are Unicode classes; the patterns below take the ASCII subset without
// newlines, so whatever they accept frogml accepts too.
const maxEntityName = 60

// entityNamePattern is frogml's pattern for model names, namespaces,
// versions and property keys.
var entityNamePattern = lazyregexp.New(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`)

// propertyValuePattern is frogml's pattern for property values: name
// segments separated by single '.' or '/', or a bracketed list of numbers
// such as [1, 2.0] (digits, '.', ',', '-', brackets, spaces, tabs).
var propertyValuePattern = lazyregexp.New(`^([a-zA-Z0-9_-]+([./][a-zA-Z0-9_-]+)*|\[[\[\]0-9., \t-]+\])$`)

// repoKeyPattern is Artifactory's repository key rule.
var repoKeyPattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// maxPropertyValue is frogml's limit for a property value (the same
// FROG_ML_MAX_CHARS_FOR_NAME as for names).
const maxPropertyValue = maxEntityName

// maxArtifactPath bounds a relative artifact path.
const maxArtifactPath = 1024

// ValidateRepoKey checks an Artifactory repository key such as "ml-local".
func ValidateRepoKey(repo string) error {
	if !repoKeyPattern.MatchString(repo) || strings.Contains(repo, "..") {
		return fmt.Errorf("repository key %q is invalid: use letters, digits, '.', '_' and '-' (at most 64), as in ARTIFACTORY_ML_REPO=ml-local: %w", repo, ErrInvalidInput)
	}
	return nil
}

// ValidateModelName checks a model name with frogml's rule:
// ^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$, at most 60 characters.
func ValidateModelName(name string) error {
	if !validEntity(name) {
		return fmt.Errorf("model name %q is invalid: use 1-60 letters, digits, '_', '-' and single dots between them: %w", name, ErrInvalidInput)
	}
	return nil
}

// ValidateModelVersion checks a version with frogml's rule (the model name
// pattern, at most 60 characters). "latest" and "tmp" are refused as well:
// the first is how ResolveVersion names the newest version, the second is
// the repository's transaction folder.
func ValidateModelVersion(version string) error {
	switch {
	case !validEntity(version):
		return fmt.Errorf("model version %q is invalid: use 1-60 letters, digits, '_', '-' and single dots between them: %w", version, ErrInvalidInput)
	case version == LatestVersion || version == "tmp":
		return fmt.Errorf("model version %q is reserved: choose another version: %w", version, ErrInvalidInput)
	}
	return nil
}

// ValidateProperty checks a property key (the model name pattern, at most
// 60 characters) and its value (at most 60 characters: segments of letters,
// digits, '_' and '-' separated by single '.' or '/', or a list of numbers
// such as [1,2.0]), frogml's rules.
func ValidateProperty(key, value string) error {
	if !validEntity(key) {
		return fmt.Errorf("property key %q is invalid: use 1-60 letters, digits, '_', '-' and single dots between them: %w", key, ErrInvalidInput)
	}
	if len(value) > maxPropertyValue {
		return fmt.Errorf("value of property %q has %d characters; frogml allows at most %d (keep long values such as SHA-256 digests in a file of the model version): %w", key, len(value), maxPropertyValue, ErrInvalidInput)
	}
	if !propertyValuePattern.MatchString(value) {
		return fmt.Errorf("value of property %q is invalid: use letters, digits, '_' and '-' with single '.' or '/' between them, or a list of numbers like [1,2.0]: %w", key, ErrInvalidInput)
	}
	return nil
}

// pep440Pattern is the version pattern of PEP 440's appendix B
// (https://peps.python.org/pep-0440/#appendix-b-parsing-version-strings-with-regular-expressions),
// which packaging.version.Version, frogml's check, implements.
var pep440Pattern = lazyregexp.New(`(?i)^\s*v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?\s*$`)

// ValidateFrameworkVersion checks model_format.framework_version as frogml
// 1.2.46 does (ModelLogConfig._validate_framework_version): empty, or a
// PEP 440 version.
func ValidateFrameworkVersion(v string) error {
	if v != "" && !pep440Pattern.MatchString(v) {
		return fmt.Errorf("framework version %q is not a PEP 440 version such as 1.2.3: %w", v, ErrInvalidInput)
	}
	return nil
}

func validEntity(s string) bool {
	return len(s) <= maxEntityName && entityNamePattern.MatchString(s)
}

// ValidateArtifactPath checks a path relative to a model version's folder,
// as written in the manifest's artifact_path: slash-separated, no empty,
// "." or ".." segments, no backslash, drive letter or control character, and
// not one of the files frogml skips (model-manifest.json, .git, ...).
func ValidateArtifactPath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("artifact path %q is invalid: %s: %w", p, why, ErrInvalidInput)
	}
	switch {
	case p == "":
		return bad("empty")
	case len(p) > maxArtifactPath:
		return bad("longer than 1024 bytes")
	case !utf8.ValidString(p):
		return bad("not UTF-8")
	case strings.HasPrefix(p, "/"):
		return bad("absolute")
	case strings.ContainsAny(p, "\\:;"):
		return bad(`contains '\', ':' or ';'`)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return bad("contains a control character")
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return bad("has an empty, '.' or '..' segment")
		case skippedNames[seg]:
			return bad(fmt.Sprintf("%q is a name frogml never uploads", seg))
		}
	}
	if path.Clean(p) != p {
		return bad("not clean")
	}
	return nil
}

// skippedNames are the names frogml skips anywhere in an uploaded path
// [FML storage/constants.py].
var skippedNames = map[string]bool{
	".DS_Store": true, "CVS": true, ".cvsignore": true, "SCCS": true, "vssver.scc": true, ".svn": true,
	".git": true, ".gitignore": true, ".gitattributes": true, ".gitmodules": true, ".gitkeep": true,
	".gitconfig": true, manifestFileName: true, "dataset-manifest.json": true,
}

// SkippedName reports whether frogml leaves the artifact path p out of an
// upload: one of its segments is a name it skips (.git, .DS_Store,
// model-manifest.json, dataset-manifest.json and the like).
func SkippedName(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		for name := range skippedNames {
			if strings.EqualFold(seg, name) {
				return true
			}
		}
	}
	return false
}

// validateRelPath checks a relative repository path that came from the
// server (an upload or download path): the artifact path rules without the
// skipped-name check.
func validateRelPath(p string) bool {
	if p == "" || len(p) > 4*maxArtifactPath || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\;") || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
