using Vouch.Cli;
using Vouch.Cli.Commands;
using Vouch.Cli.Terminal;

var http = new Lazy<HttpClient>(() => new HttpClient { Timeout = TimeSpan.FromSeconds(15) });
var context = new CliContext(new SystemConsole(), Environment.GetEnvironmentVariable, http);
try
{
    return await VouchCommandLine.InvokeAsync(args, context);
}
finally
{
    if (http.IsValueCreated) http.Value.Dispose();
}
