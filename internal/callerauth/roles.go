package callerauth

// App roles the function app's registration exposes (value of each role;
// the roles claim of an app-only token lists the values assigned to the
// calling service principal).
const (
	// RoleJobsSubmit allows submitting and canceling training and
	// deployment jobs.
	RoleJobsSubmit = "Jobs.Submit"
	// RoleJobsRead allows reading job status.
	RoleJobsRead = "Jobs.Read"
	// RoleRotationRun allows running the token rotation over HTTP.
	RoleRotationRun = "Rotation.Run"
	// RoleDiagnosticsRead allows reading diagnostics (GET /api/diagnostics).
	RoleDiagnosticsRead = "Diagnostics.Read"
)

// Roles lists every app role, in the order the README documents them.
var Roles = []string{RoleJobsSubmit, RoleJobsRead, RoleRotationRun, RoleDiagnosticsRead}
