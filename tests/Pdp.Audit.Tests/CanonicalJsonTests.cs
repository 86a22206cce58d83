using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class CanonicalJsonTests
{
    [Theory]
    [InlineData("""{"b":1,"a":{"d":[3,{"z":1,"y":2}],"c":null},"B":true}""", """{"B":true,"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}""")]
    [InlineData("""{ "x" : [ 1 , 2 ] , "w" : { } }""", """{"w":{},"x":[1,2]}""")]
    [InlineData("""{"n":1.0e2,"m":-0,"k":12345678901234567890}""", """{"k":12345678901234567890,"m":-0,"n":1.0e2}""")]
    [InlineData("""{"s":"é<>&'+`\"\\\n\t\r\b\f\u0001/"}""", """{"s":"\u00E9\u003C\u003E\u0026\u0027\u002B\u0060\u0022\\\n\t\r\b\f\u0001/"}""")]
    [InlineData("""{"😀":"😀","é":1,"e":2}""", """{"e":2,"\u00E9":1,"\uD83D\uDE00":"\uD83D\uDE00"}""")]
    public void Serialize_ParsedJson_WritesSortedCompactForm(string input, string expected)
    {
        var canonical = Encoding.UTF8.GetString(CanonicalJson.Serialize(JsonNode.Parse(input)));

        Assert.Equal(expected, canonical);
    }

    [Fact]
    public void Serialize_DotNetValues_WritesShortestRoundTripNumbers()
    {
        var node = new JsonObject { ["d"] = 0.1, ["f"] = 1.5f, ["i"] = 42, ["m"] = 1.10m, ["t"] = true, ["s"] = "x" };

        Assert.Equal("""{"d":0.1,"f":1.5,"i":42,"m":1.10,"s":"x","t":true}""", Encoding.UTF8.GetString(CanonicalJson.Serialize(node)));
    }

    [Fact]
    public void Serialize_OwnOutputParsedAgain_GivesSameBytes()
    {
        var node = new JsonObject { ["z"] = "é\u2028<", ["a"] = new JsonArray(1.25, null, new JsonObject { ["y"] = 1, ["x"] = 2 }) };

        var once = CanonicalJson.Serialize(node);
        var twice = CanonicalJson.Serialize(JsonNode.Parse(once));

        Assert.Equal(once, twice);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Serialize_NonFiniteNumber_ThrowsArgumentException(double value)
    {
        Assert.ThrowsAny<ArgumentException>(() => CanonicalJson.Serialize(new JsonObject { ["x"] = value }));
    }

    [Fact]
    public void Serialize_TooDeep_ThrowsArgumentException()
    {
        JsonNode node = new JsonObject();
        for (var i = 0; i < CanonicalJson.MaxPayloadDepth + 1; i++)
        {
            node = new JsonObject { ["x"] = node };
        }

        Assert.ThrowsAny<ArgumentException>(() => CanonicalJson.Serialize(node));
    }

    [Fact]
    public void EncodeLine_KnownRecord_HashMatchesIndependentSha256()
    {
        // Expected value computed outside .NET: printf '%s' '<canonical>' | sha256sum
        const string canonical = """{"payload":{"a":1,"b":"x"},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"time":"2026-11-26T20:00:00.000Z","type":"decision"}""";
        var payload = CanonicalJson.Serialize(JsonNode.Parse("""{"b":"x","a":1}"""));

        var line = RecordCodec.EncodeLine(1, "2026-11-26T20:00:00.000Z", "decision", payload, RecordCodec.GenesisHash, out var hash);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), hash);
        Assert.Equal(KnownHash, hash);
        Assert.Equal(
            $$"""{"seq":1,"time":"2026-11-26T20:00:00.000Z","type":"decision","payload":{"a":1,"b":"x"},"prev_hash":"{{RecordCodec.GenesisHash}}","hash":"{{hash}}"}""" + "\n",
            Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void EncodeLine_AnyRecord_HashEqualsCanonicalJsonOfRecordWithoutHash()
    {
        var payload = new JsonObject { ["z"] = new JsonArray(1, "two", null), ["a"] = new JsonObject { ["é"] = 0.3 } };
        var canonicalPayload = CanonicalJson.Serialize(payload);

        var line = RecordCodec.EncodeLine(42, "2026-01-02T03:04:05.678Z", "policy_load", canonicalPayload, new string('a', 64), out var hash);
        var record = JsonNode.Parse(line)!.AsObject();
        record.Remove("hash");

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(record))), hash);
    }

    private const string KnownHash = "f5c1a5f6810308400d0bbd89cd62213b51f516a568994115ae2fc02649abe1d5";
}
