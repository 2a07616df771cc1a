package azureml

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// imageVersionTagLen bounds the tag part of an ImageVersion so that the
// whole name stays well inside the 128 characters ValidateEnvironmentVersion
// allows.
const imageVersionTagLen = 64

// ImageVersion returns the environment version name for a container image:
// the tag (letters, digits, '.', '-' and '_' kept, other characters
// dropped, at most 64 characters, "img" when nothing is left) followed by
// '-' and the first 12 hex digits of the SHA-256 of the full image
// reference, such as "1.4.2-3f2a9c1b7d4e" for
// acme.jfrog.io/docker-local/trainer:1.4.2.
//
// AzureML environment versions are immutable except for their description
// and tags ("Only description and tags of an environment version are
// mutable", MicrosoftDocs/azure-ai-docs
// articles/machine-learning/how-to-manage-environments-v2.md; a changed
// image is refused, see PutEnvironmentVersion), so the name must change
// whenever the reference does: the same tag pushed to another host or
// repository gets another version, and the same reference always the same
// one. The result always passes ValidateEnvironmentVersion.
func ImageVersion(image, tag string) string {
	sum := sha256.Sum256([]byte(image))
	var b strings.Builder
	for _, r := range tag {
		if b.Len() >= imageVersionTagLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case (r == '.' || r == '-' || r == '_') && b.Len() > 0:
			b.WriteRune(r)
		}
	}
	prefix := strings.TrimRight(b.String(), ".-_")
	if prefix == "" {
		prefix = "img"
	}
	return prefix + "-" + hex.EncodeToString(sum[:6])
}
