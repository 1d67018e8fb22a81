using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Digits.Core.Backends;

namespace Digits.Benchmarks;

/// <summary>BenchmarkDotNet column: GFLOP/s = the flops of the <see cref="DenseGemm"/> or <see cref="StepConfig"/>
/// parameter (a multiply-add counts 2) / mean time.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second, 10⁹ (flops of the shape / mean time)";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double? flops = benchmarkCase.Parameters.Items.Select(p => p.Value switch
        {
            DenseGemm g => g.Flops,
            StepConfig c => c.FlopsPerStep,
            _ => (double?)null,
        }).FirstOrDefault(f => f is not null);
        if (meanNs is not > 0 || flops is null) return "-";
        return (flops.Value / meanNs.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The benchmarks' config: the default job plus the GFLOP/s column, shape names untruncated.</summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig()
    {
        AddColumn(new GflopsColumn());
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(48);
    }
}
