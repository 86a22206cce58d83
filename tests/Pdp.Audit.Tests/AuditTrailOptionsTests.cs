using Xunit;

namespace Pdp.Audit.Tests;

public sealed class AuditTrailOptionsTests
{
    [Fact]
    public void Validate_Defaults_HasNoErrors()
    {
        var options = new AuditTrailOptions();

        Assert.Empty(options.Validate());
        Assert.Equal(("data/audit.jsonl", AuditDurability.Durable, TimeSpan.FromSeconds(1), 64L * 1024 * 1024, 10_000, 512),
            (options.Path, options.Durability, options.FlushInterval, options.MaxFileBytes, options.QueueCapacity, options.MaxBatch));
    }

    [Theory]
    [InlineData("path-empty", "Path")]
    [InlineData("path-directory", "Path")]
    [InlineData("durability", "Durability")]
    [InlineData("flush-zero", "FlushInterval")]
    [InlineData("flush-day", "FlushInterval")]
    [InlineData("max-file-zero", "MaxFileBytes")]
    [InlineData("max-file-tiny", "MaxFileBytes")]
    [InlineData("queue-zero", "QueueCapacity")]
    [InlineData("batch-negative", "MaxBatch")]
    public void Validate_NonsenseValue_NamesTheSetting(string change, string setting)
    {
        var options = change switch
        {
            "path-empty" => new AuditTrailOptions { Path = " " },
            "path-directory" => new AuditTrailOptions { Path = "data/" },
            "durability" => new AuditTrailOptions { Durability = (AuditDurability)7 },
            "flush-zero" => new AuditTrailOptions { FlushInterval = TimeSpan.Zero },
            "flush-day" => new AuditTrailOptions { FlushInterval = TimeSpan.FromDays(1) },
            "max-file-zero" => new AuditTrailOptions { MaxFileBytes = 0 },
            "max-file-tiny" => new AuditTrailOptions { MaxFileBytes = 64 },
            "queue-zero" => new AuditTrailOptions { QueueCapacity = 0 },
            "batch-negative" => new AuditTrailOptions { MaxBatch = -1 },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        var error = Assert.Single(options.Validate());

        Assert.StartsWith(setting, error, StringComparison.Ordinal);
    }
}
