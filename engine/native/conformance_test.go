package native_test

import (
	"testing"

	"github.com/inferd/inferd/engine/enginetest"
	"github.com/inferd/inferd/engine/native"
)

func TestConformance(t *testing.T) { enginetest.Run(t, native.Engine{}) }
