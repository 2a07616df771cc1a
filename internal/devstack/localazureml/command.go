package localazureml

import (
	"errors"
	"strings"
)

// maxCommand bounds the command line the server accepts.
const maxCommand = 64 << 10

// splitCommand splits a command line into arguments the way a POSIX shell
// splits words, without running a shell: whitespace separates words; single
// quotes keep text literally; double quotes keep text but honour \" \\ \$
// and \` escapes; a backslash outside quotes escapes the next character.
// When env is non-nil, $NAME and ${NAME} outside single quotes expand to
// env(NAME); ${{…}} expressions are left alone. Shell operators (| & ; < >
// ( ) `) outside quotes are rejected, since nothing would interpret them.
func splitCommand(cmd string, env func(string) string) ([]string, error) {
	if len(cmd) > maxCommand {
		return nil, errors.New("command longer than 64 KiB")
	}
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   byte // 0, '\'' or '"'
		escaped bool
	)
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch c {
			case '"':
				quote = 0
			case '\\':
				if i+1 < len(cmd) && strings.IndexByte("\"\\$`", cmd[i+1]) >= 0 {
					i++
					cur.WriteByte(cmd[i])
				} else {
					cur.WriteByte(c)
				}
			case '$':
				i = expandVar(cmd, i, env, &cur)
			default:
				cur.WriteByte(c)
			}
		default:
			switch c {
			case ' ', '\t', '\n', '\r':
				if inWord {
					args = append(args, cur.String())
					cur.Reset()
					inWord = false
				}
				continue
			case '\\':
				escaped = true
			case '\'', '"':
				quote = c
			case '|', '&', ';', '<', '>', '(', ')', '`':
				return nil, errors.New("the local stack runs commands without a shell: remove the shell operator " + string(c) + " or quote it")
			case '$':
				i = expandVar(cmd, i, env, &cur)
			default:
				cur.WriteByte(c)
			}
			inWord = true
		}
	}
	switch {
	case escaped:
		return nil, errors.New("command ends with a lone backslash")
	case quote != 0:
		return nil, errors.New("command has an unterminated " + string(quote) + " quote")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("command is empty")
	}
	return args, nil
}

// expandVar handles the '$' at cmd[i]: $NAME or ${NAME} is replaced by
// env(NAME) when env is non-nil; anything else (including ${{) is kept.
// It returns the index of the last byte consumed.
func expandVar(cmd string, i int, env func(string) string, cur *strings.Builder) int {
	braced := i+1 < len(cmd) && cmd[i+1] == '{'
	start := i + 1
	if braced {
		start++
	}
	end := start
	for end < len(cmd) && isNameByte(cmd[end], end == start) {
		end++
	}
	if end == start || (braced && (end >= len(cmd) || cmd[end] != '}')) {
		cur.WriteByte('$')
		return i
	}
	name := cmd[start:end]
	last := end - 1
	if braced {
		last = end
	}
	if env == nil {
		cur.WriteString(cmd[i : last+1])
	} else {
		cur.WriteString(env(name))
	}
	return last
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9')
}

// normalizeExpressions rewrites ${{ kind.name }} as ${{kind.name}} so that
// every expression is one word for splitCommand.
func normalizeExpressions(cmd string) string {
	return expression.ReplaceAllString(cmd, "$${{$1}}")
}

// resolveExpressions replaces ${{inputs.x}} and ${{outputs.y}} in arg.
func resolveExpressions(arg string, inputs, outputs map[string]string) string {
	return expression.ReplaceAllStringFunc(arg, func(m string) string {
		sub := expression.FindStringSubmatch(m)
		kind, name, _ := strings.Cut(sub[1], ".")
		switch kind {
		case "inputs":
			if v, ok := inputs[name]; ok {
				return v
			}
		case "outputs":
			if v, ok := outputs[name]; ok {
				return v
			}
		}
		return m
	})
}
