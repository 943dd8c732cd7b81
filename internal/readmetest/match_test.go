package readmetest

import "testing"

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got string
		text, ok  bool
	}{
		{"exact JSON", `{"status":"ok"}`, `{"status": "ok"}` + "\n", false, true},
		{"JSON key order", `{"a":1,"b":2}`, `{"b":2,"a":1}`, false, true},
		{"JSON differs", `{"status":"ok"}`, `{"status":"ready"}`, false, false},
		{"extra key", `{"a":1}`, `{"a":1,"b":2}`, false, false},
		{"missing key", `{"a":1,"b":2}`, `{"a":1}`, false, false},
		{"not JSON", `{"a":1}`, `404 page not found`, false, false},
		{"number to its precision", `[[-11.64,1.05,3.6e-08]]`, `[[-11.644197,1.046529,3.601674e-08]]`, false, true},
		{"number out of its precision", `[-11.64]`, `[-11.656]`, false, false},
		{"exponent precision", `[3.6e-08]`, `[3.66e-08]`, false, false},
		{"integer", `{"version":1}`, `{"version":1}`, false, true},
		{"string numbers are strings", `{"shape":["1","1"]}`, `{"shape":[1,1]}`, false, false},
		{"ellipsis prefix", `{"a":"x",...}`, `{"a":"x","b":[1,2]}`, false, true},
		{"ellipsis in the middle", `{"m":[{"n":"d",...},{"n":"e",...}]}`, `{"m":[{"n":"d","v":1},{"n":"e","v":2}]}`, false, true},
		{"ellipsis segment missing", `{"m":[{"n":"d",...},{"n":"f",...}]}`, `{"m":[{"n":"d","v":1},{"n":"e","v":2}]}`, false, false},
		{"ellipsis keeps the end", `{"a":[1,...],"b":2}`, `{"a":[1,2],"b":3}`, false, false},
		{"ellipsis matches nothing", `[1,...2]`, `[1,2]`, false, true},
		{"ellipsis is textual", `{"logits":[[17.46,...]]}`, `{"logits":[[17.46062,-0.66]]}`, false, false},
		{"ellipsis on pretty JSON", `{"a":{"b":"c"},...}`, "{\n  \"a\": {\n    \"b\": \"c\"\n  },\n  \"d\": 1\n}", false, true},
		{"text", `17.46062 -0.66804314 ...`, "        17.46062     -0.66804314      -4.5699644\n", true, true},
		{"text differs", `17.46062 -0.7 ...`, "17.46062 -0.66804314 -4.5699644", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Match(tc.want, tc.got, tc.text)
			if (err == nil) != tc.ok {
				t.Errorf("Match(%q, %q) = %v, want ok=%v", tc.want, tc.got, err, tc.ok)
			}
		})
	}
}

func TestParse(t *testing.T) {
	doc := "# Title\n\n## Try\n\n```sh\n# a comment\ncurl http://127.0.0.1:8080/x   # inline\n# {\"a\":1}\n" +
		"jq '{a: 1,\n     b: 2}' f.json |\n  curl --data-binary @- \\\n  http://127.0.0.1:8080/y\n# => 1 2 ...\n\n# not an answer: {\"b\":2}\n" +
		"inferd predict digits x.png\n# {\"c\":3}\nimg=$(base64 -w0 x.png)\n```\n\n" +
		"<!-- readme-test: skip -->\n```sh\ncurl http://127.0.0.1:8081/z\n```\n\n```yaml\ncurl: 127.0.0.1:8080\n```\n"
	blocks := Parse(doc)
	if len(blocks) != 2 {
		t.Fatalf("%d blocks, want 2: %+v", len(blocks), blocks)
	}
	b := blocks[0]
	if b.Line != 5 || b.Heading != "Try" || b.Skip || !b.Live() || len(b.Commands) != 4 {
		t.Fatalf("block 0: %+v", b)
	}
	c := b.Commands
	if c[0].Line != 7 || c[0].Want != `{"a":1}` || c[0].WantLine != 8 || c[0].WantText || !c[0].Runs() {
		t.Errorf("command 0: %+v", c[0])
	}
	if c[1].Line != 9 || c[1].Text != "jq '{a: 1,\n     b: 2}' f.json |\n  curl --data-binary @- \\\n  http://127.0.0.1:8080/y" ||
		c[1].Want != "1 2 ..." || !c[1].WantText || !c[1].Live() {
		t.Errorf("command 1: %+v", c[1])
	}
	if c[2].Text != "inferd predict digits x.png" || c[2].Want != `{"c":3}` || c[2].Runs() {
		t.Errorf("command 2: %+v", c[2])
	}
	if c[3].Text != "img=$(base64 -w0 x.png)" || c[3].Live() || !c[3].Runs() {
		t.Errorf("command 3: %+v", c[3])
	}
	if !blocks[1].Skip || !blocks[1].Live() {
		t.Errorf("block 1: %+v", blocks[1])
	}
}
