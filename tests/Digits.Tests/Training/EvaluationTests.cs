using Digits.Core.Training;
using Xunit;

namespace Digits.Tests.Training;

public sealed class EvaluationTests
{
    [Fact]
    public void Confusion_matrix_and_precision_recall_F1_by_hand()
    {
        // Labels 0,0,0,1,1,2 predicted 0,1,0,1,1,1: class 0: TP 2, FN 1, FP 0 → P 1, R 2/3, F1 0.8;
        // class 1: TP 2, FP 2 (one 0, one 2) → P 0.5, R 1, F1 2/3; class 2: TP 0 → P 0 (nothing predicted), R 0, F1 0.
        var e = new Evaluation("t", 6, 0.5, 4, [0, 1, 0, 1, 1, 1], [0, 0, 0, 1, 1, 2], ["a", "b", "c"]);
        var m = e.ConfusionMatrix();
        Assert.Equal(2, m[0, 0]);
        Assert.Equal(1, m[0, 1]);
        Assert.Equal(1, m[2, 1]);
        Assert.Equal(6, m.Cast<int>().Sum());
        var metrics = e.ClassMetrics();
        Assert.Equal((1.0, 2.0 / 3, 0.8, 3), (metrics[0].Precision, metrics[0].Recall, Math.Round(metrics[0].F1, 12), metrics[0].Support));
        Assert.Equal(0.5, metrics[1].Precision);
        Assert.Equal(1.0, metrics[1].Recall);
        Assert.Equal(2.0 / 3, metrics[1].F1, 12);
        Assert.Equal((0.0, 0.0, 0.0, 1), metrics[2]);
        Assert.Equal(4.0 / 6, e.Accuracy);
    }
}
