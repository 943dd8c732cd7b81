package serving

import "testing"

func TestInstanceBudget(t *testing.T) {
	tests := []struct {
		name                 string
		want, threads, cores int
		instances            int
	}{
		{"one instance", 1, 0, 2, 1},
		{"default threads take every core", 2, 0, 2, 1},
		{"default threads, many cores", 4, 0, 16, 1},
		{"one thread each fits", 2, 1, 2, 2},
		{"one thread each, more than the cores", 4, 1, 2, 2},
		{"threads split the cores", 8, 4, 16, 4},
		{"threads above the cores count as the cores", 3, 8, 4, 1},
		{"uneven split rounds down", 3, 3, 8, 2},
		{"fewer wanted than fit", 2, 1, 16, 2},
		{"one core", 2, 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := instanceBudget(tt.want, tt.threads, tt.cores); got != tt.instances {
				t.Errorf("instanceBudget(%d, %d threads, %d cores) = %d, want %d", tt.want, tt.threads, tt.cores, got, tt.instances)
			}
		})
	}
}
