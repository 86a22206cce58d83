using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pdp.Server.Identity;

/// <summary>Reads SO_PEERCRED from a connected Unix domain socket (Linux): the peer's pid, uid and gid as the kernel knows them.</summary>
/// <remarks>struct ucred is three native-endian 32-bit fields: pid, uid, gid.</remarks>
public static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static UnixPeer? Read(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!OperatingSystem.IsLinux() || socket.AddressFamily != AddressFamily.Unix)
        {
            return null;
        }

        Span<byte> ucred = stackalloc byte[12];
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        return length < 12
            ? null
            : new UnixPeer(MemoryMarshal.Read<int>(ucred), MemoryMarshal.Read<uint>(ucred[4..]), MemoryMarshal.Read<uint>(ucred[8..]));
    }
}
