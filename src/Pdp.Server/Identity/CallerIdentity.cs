using System.Text.Json.Nodes;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Identity;

/// <summary>Kernel-attested credentials of the process at the other end of a Unix socket.</summary>
public sealed record UnixPeer(int Pid, uint Uid, uint Gid);

/// <summary>
/// Who is calling, as established by the transport — never what the request claims. mTLS gives a
/// verified SPIFFE ID; a Unix socket gives the peer's uid, gid and pid from the kernel; plaintext TCP
/// gives nothing but an address, and is marked unauthenticated.
/// </summary>
public sealed record CallerIdentity(string Transport, bool Authenticated, SpiffeId? Spiffe, UnixPeer? Unix, string Address)
{
    public static CallerIdentity Tcp(string address) => new("tcp", false, null, null, address);

    /// <summary>The <c>input.caller</c> document policies see.</summary>
    /// <summary>The caller as the review rules see a recorder: its SPIFFE ID and whether it was authenticated.</summary>
    public Pdp.Review.Rules.RecordingCaller ToRecordingCaller() => new(Spiffe?.ToString(), Authenticated);

    public JsonObject ToInput()
    {
        var caller = new JsonObject
        {
            ["authenticated"] = Authenticated,
            ["transport"] = Transport,
            ["address"] = Address,
        };
        if (Spiffe is not null)
        {
            caller["spiffe_id"] = Spiffe.ToString();
            caller["trust_domain"] = Spiffe.TrustDomain;
        }

        if (Unix is not null)
        {
            caller["unix"] = new JsonObject { ["uid"] = Unix.Uid, ["gid"] = Unix.Gid, ["pid"] = Unix.Pid };
        }

        return caller;
    }
}
