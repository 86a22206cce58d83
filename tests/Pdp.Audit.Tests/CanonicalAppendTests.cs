using System.Text;
using Pdp.Audit.Format;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>A payload the caller wrote canonically is kept as given; one that is not canonical is refused, never stored.</summary>
public sealed class CanonicalAppendTests : TrailFixture
{
    [Theory]
    [InlineData("""{"a":1,"b":{"c":[1,{"d":null,"e":"x"}],"d":true}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"A":1,"_":2,"a":3,"\u00E9":4}""")]
    public async Task AppendCanonicalAsync_CanonicalPayload_StoredAsGivenAndVerifies(string json)
    {
        await using var trail = await Open(Options());
        var bytes = Encoding.UTF8.GetBytes(json);
        var receipt = await trail.AppendCanonicalAsync("t", bytes, Ct).AsTask().WaitAsync(Timeout, Ct);

        var record = Assert.Single(AuditTrailReader.Read(ActivePath));
        Assert.Equal(receipt.Seq, record.Seq);
        Assert.Equal(CanonicalJson.Serialize(record.Payload), bytes);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Theory]
    [InlineData("""{"b":1,"a":2}""", "out of order")]
    [InlineData("""{"a":{"d":1,"c":2}}""", "out of order")]
    [InlineData("""{"a":[{"y":1,"x":2}]}""", "out of order")]
    [InlineData("""{"a": 1}""", "whitespace")]
    [InlineData("""{"a":1} """, "after the object")]
    [InlineData("""[1,2]""", "not a JSON object")]
    [InlineData("""{"a":1""", "")]
    [InlineData("""{"a":1,"a":2}""", "out of order")]
    public async Task AppendCanonicalAsync_NotCanonical_RefusedAndNothingWritten(string json, string reason)
    {
        await using var trail = await Open(Options());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => trail.AppendCanonicalAsync("t", Encoding.UTF8.GetBytes(json), Ct).AsTask().WaitAsync(Timeout, Ct));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, trail.LastSeq);
    }
}
