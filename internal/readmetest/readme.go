package readmetest

import (
	"regexp"
	"strings"
)

// SkipMarker before a block keeps it from being run.
const SkipMarker = "<!-- readme-test: skip -->"

// Block is one ```sh block of a Markdown file.
type Block struct {
	Line     int    // the line of its opening fence (1-based)
	Heading  string // the nearest heading above it
	Skip     bool   // preceded by SkipMarker
	Commands []Command
}

// Command is one shell command of a block, with the answer the README
// shows for it, if any.
type Command struct {
	Line int    // its first line
	Text string // as written, continuation lines included
	// Want is the answer without its "# " or "# => " prefix, WantLine its
	// line; WantText says it is a "# => " text answer rather than JSON.
	Want     string
	WantLine int
	WantText bool
}

// Parse returns the ```sh blocks of a Markdown document.
func Parse(doc string) []Block {
	lines := strings.Split(doc, "\n")
	var (
		blocks  []Block
		heading string
		skip    bool
	)
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(l, "```"):
			lang := strings.TrimSpace(strings.TrimPrefix(l, "```"))
			end := i + 1
			for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
				end++
			}
			if lang == "sh" {
				b := Block{Line: i + 1, Heading: heading, Skip: skip}
				b.Commands = parseCommands(lines[i+1:end], i+2)
				blocks = append(blocks, b)
			}
			i, skip = end, false
		case l == SkipMarker:
			skip = true
		case strings.HasPrefix(l, "#"):
			heading, skip = strings.TrimSpace(strings.TrimLeft(l, "#")), false
		case l != "":
			skip = false
		}
	}
	return blocks
}

// parseCommands splits a block's lines into commands; first is the line
// number of lines[0].
func parseCommands(lines []string, first int) []Command {
	var (
		cmds []Command
		// last is the index of the command a following answer belongs to, -1 if none.
		last = -1
	)
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case l == "":
			last = -1
		case strings.HasPrefix(l, "#"):
			if last >= 0 && cmds[last].WantLine == 0 {
				if want, text, ok := answer(l); ok {
					cmds[last].Want, cmds[last].WantText, cmds[last].WantLine = want, text, first+i
					continue
				}
			}
			last = -1
		default:
			start := i
			text := lines[i]
			for continues(text) && i+1 < len(lines) {
				i++
				text += "\n" + lines[i]
			}
			cmds = append(cmds, Command{Line: first + start, Text: text})
			last = len(cmds) - 1
		}
	}
	return cmds
}

// answer reports whether a comment line is an answer: "# {...}", "# [...]"
// or "# => text".
func answer(comment string) (want string, text, ok bool) {
	c := strings.TrimPrefix(comment, "# ")
	if t, ok := strings.CutPrefix(c, "=> "); ok {
		return strings.TrimSpace(t), true, true
	}
	if strings.HasPrefix(c, "{") || strings.HasPrefix(c, "[") {
		return strings.TrimSpace(c), false, true
	}
	return "", false, false
}

// continues reports whether a command goes on at the next line: it ends
// with \ or |, or leaves a single quote open.
func continues(text string) bool {
	t := strings.TrimRight(text, " \t")
	return strings.HasSuffix(t, "\\") || strings.HasSuffix(t, "|") || strings.Count(text, "'")%2 == 1
}

var (
	liveAddr   = regexp.MustCompile(`127\.0\.0\.1:808[01]\b`)
	liveTool   = regexp.MustCompile(`\b(curl|grpcurl)\b`)
	assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// Live reports whether the command talks to the README's server: it calls
// curl or grpcurl on 127.0.0.1:8080 or :8081.
func (c Command) Live() bool { return liveAddr.MatchString(c.Text) && liveTool.MatchString(c.Text) }

// Runs reports whether the test runs the command in a live block: it is
// live or a shell variable assignment.
func (c Command) Runs() bool { return c.Live() || assignment.MatchString(strings.TrimSpace(c.Text)) }

// Live reports whether the block has a live command.
func (b Block) Live() bool {
	for _, c := range b.Commands {
		if c.Live() {
			return true
		}
	}
	return false
}
