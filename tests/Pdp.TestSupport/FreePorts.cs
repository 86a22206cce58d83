using System.Net;
using System.Net.Sockets;

namespace Pdp.TestSupport;

/// <summary>
/// Free loopback ports for servers under test. The kernel may hand the same ephemeral port to two binds in a row once
/// the first is closed, so a server asking for several ports could get one twice; this never returns a port it has
/// returned in the last <see cref="Remembered"/> calls of this process.
/// </summary>
public static class FreePorts
{
    private const int Remembered = 4096;
    private static readonly Queue<int> Recent = new();
    private static readonly HashSet<int> Issued = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (!Issued.Add(port))
                {
                    continue;
                }

                Recent.Enqueue(port);
                if (Recent.Count > Remembered)
                {
                    Issued.Remove(Recent.Dequeue());
                }

                return port;
            }
        }
    }
}
