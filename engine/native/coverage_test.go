package native

import (
	"strings"
	"testing"
)

// TestSupportedOps checks that every operator the native engine promises
// (the CNN, transformer and ONNX-ML lists of the coverage issue) is
// registered for the opsets models use, and logs the full list.
func TestSupportedOps(t *testing.T) {
	want := map[string][]string{
		"": strings.Fields(`Conv ConvTranspose BatchNormalization MaxPool AveragePool GlobalAveragePool GlobalMaxPool
			Relu LeakyRelu PRelu Clip HardSwish HardSigmoid Sigmoid Tanh Gemm MatMul Add Sub Mul Div Concat Split Pad
			Resize Upsample Flatten Reshape Transpose Squeeze Unsqueeze Softmax LogSoftmax Dropout Identity Constant Shape
			Gather Slice ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL2 ReduceLogSumExp ArgMax ArgMin TopK
			Cast Where Expand Tile Equal Less Greater Not And Or Erf Exp Log Sqrt Pow Reciprocal Neg Abs Floor Ceil Round
			Min Max Mean Sum ConstantOfShape Range NonZero CumSum Einsum LayerNormalization If Loop Scan`),
		mlDomain: strings.Fields(`TreeEnsembleClassifier TreeEnsembleRegressor LinearClassifier LinearRegressor
			SVMClassifier SVMRegressor Scaler Normalizer Imputer OneHotEncoder LabelEncoder ArrayFeatureExtractor
			Binarizer CategoryMapper FeatureVectorizer ZipMap`),
	}
	for domain, names := range want {
		for _, name := range names {
			v := int64(maxOpset)
			switch {
			case domain == mlDomain:
				v = maxMLOpset
			case name == "Upsample": // deprecated in opset 10
				v = 9
			}
			if _, ok := lookupOp(domain, name, v); !ok {
				t.Errorf("%s %s is not registered at version %d", domain, name, v)
			}
		}
	}
	ops := SupportedOps()
	t.Logf("%d operators: %s", len(ops), strings.Join(ops, " "))
}
