package diagnose

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// entraFixes explain the Entra ID errors a managed identity token request
// for a custom audience meets: AADSTS500011 (the resource principal is not
// found in the tenant), AADSTS700016 (the application is not found in the
// directory), AADSTS50105 (the app requires assignment and the caller has
// none). The codes are listed in "Microsoft Entra authentication and
// authorization error codes" (learn.microsoft.com/entra/identity-platform/reference-error-codes),
// which warns that codes and texts change and that clients must not depend
// on them: they only add an explanation to a check that already failed,
// never decide anything. The exact current descriptions were not verified.
var entraFixes = map[string]string{
	"AADSTS500011": "app not found: AZURE_AD_TOKEN_AUDIENCE names no app registration (service principal) in the identity's tenant: set it to the Application ID URI (api://<client-id>) or client id of the app registration the JFrog OIDC integration trusts, and create its service principal in this tenant",
	"AADSTS700016": "app not found: the application id in AZURE_AD_TOKEN_AUDIENCE is not in the directory: check the app registration and the tenant",
	"AADSTS50105":  "assignment required: the app registration requires assignment and the managed identity has none: assign the identity an app role of the app (az rest … appRoleAssignedTo) or set 'Assignment required' to No on its enterprise application",
}

var aadsts = lazyregexp.New(`AADSTS\d{5,7}`)

// entraFix returns the explanation of the Entra error in err's response,
// read from the structured body azidentity keeps ({"error",
// "error_description","error_codes"}), or "".
func entraFix(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		return ""
	}
	b, rerr := runtime.Payload(afe.RawResponse)
	if rerr != nil {
		return ""
	}
	var body struct {
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(b, &body) != nil {
		return ""
	}
	codes := aadsts.FindAllString(body.Description, -1)
	for _, c := range body.Codes {
		codes = append(codes, "AADSTS"+strconv.Itoa(c))
	}
	for _, c := range codes {
		if f, ok := entraFixes[strings.ToUpper(c)]; ok {
			return c + ": " + f
		}
	}
	return ""
}
