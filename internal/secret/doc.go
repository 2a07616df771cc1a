// Package secret holds values that must never reach a log, an error or a
// response: JFrog access tokens, Entra ID tokens and the like.
//
// A [Token] redacts itself whenever it is formatted, marshalled to JSON or
// text, or logged with zerolog or log/slog; only [Token.Reveal] returns the
// value, and only code that puts the token on the wire should call it.
package secret
