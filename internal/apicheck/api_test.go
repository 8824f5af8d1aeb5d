package apicheck

import (
	"bufio"
	"bytes"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/getcd/getcd"

// TestNoInternalInAPI type-checks every public package of the library from
// the compiler's export data and walks every exported identifier: the types
// of variables and constants, function and method signatures, exported
// struct fields and interface methods, and type aliases. Any named type from
// an internal package is reported.
func TestNoInternalInAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds export data with the go command")
	}
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{with .Module}}{{.Path}}{{end}}", module+"/...")
	cmd.Dir = "../.."
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	exports := map[string]string{}
	var public []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			continue
		}
		exports[f[0]] = f[1]
		if f[2] == module && !isInternal(f[0]) && !strings.HasSuffix(f[0], ".test") {
			public = append(public, f[0])
		}
	}
	if len(public) < 5 {
		t.Fatalf("found only %d public packages: %v", len(public), public)
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
	for _, path := range public {
		pkg, err := imp.Import(path)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		w := walker{t: t, pkg: pkg, seen: map[types.Type]bool{}}
		for _, name := range pkg.Scope().Names() {
			obj := pkg.Scope().Lookup(name)
			if !obj.Exported() {
				continue
			}
			w.where = path + "." + name
			if tn, ok := obj.(*types.TypeName); ok && !tn.IsAlias() {
				w.named(tn.Type().(*types.Named))
				continue
			}
			w.typ(obj.Type())
		}
	}
}

// isInternal says whether path is one of getcd's internal packages (other
// modules' internal packages, such as grpc's, are their business).
func isInternal(path string) bool { return strings.HasPrefix(path, module+"/internal/") }

type walker struct {
	t     *testing.T
	pkg   *types.Package
	where string
	seen  map[types.Type]bool
}

// named walks a type declared by the package: its underlying type and its
// exported methods.
func (w *walker) named(n *types.Named) {
	if w.seen[n] {
		return
	}
	w.seen[n] = true
	w.typ(n.Underlying())
	for m := range n.Methods() {
		if m.Exported() {
			where := w.where
			w.where += "." + m.Name()
			w.typ(m.Type())
			w.where = where
		}
	}
}

func (w *walker) typ(t types.Type) {
	switch t := t.(type) {
	case *types.Alias:
		w.typ(types.Unalias(t))
	case *types.Named:
		if p := t.Obj().Pkg(); p != nil {
			if isInternal(p.Path()) {
				w.t.Errorf("%s mentions %s.%s", w.where, p.Path(), t.Obj().Name())
			} else if p == w.pkg {
				w.named(t)
			}
		}
		for a := range t.TypeArgs().Types() {
			w.typ(a)
		}
	case *types.Pointer:
		w.typ(t.Elem())
	case *types.Slice:
		w.typ(t.Elem())
	case *types.Array:
		w.typ(t.Elem())
	case *types.Map:
		w.typ(t.Key())
		w.typ(t.Elem())
	case *types.Chan:
		w.typ(t.Elem())
	case *types.Signature:
		for v := range t.Params().Variables() {
			w.typ(v.Type())
		}
		for v := range t.Results().Variables() {
			w.typ(v.Type())
		}
		if tp := t.TypeParams(); tp != nil {
			for p := range tp.TypeParams() {
				w.typ(p.Constraint())
			}
		}
	case *types.Struct:
		for f := range t.Fields() {
			if f.Exported() {
				w.typ(f.Type())
			}
		}
	case *types.Interface:
		for m := range t.Methods() {
			if m.Exported() {
				w.typ(m.Type())
			}
		}
		for e := range t.EmbeddedTypes() {
			w.typ(e)
		}
	}
}
