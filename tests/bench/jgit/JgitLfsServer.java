/* JgitLfsServer: JGit's LFS server (Debian's libjgit-java 4.11,
 * org.eclipse.jgit.lfs.server) on Debian's Jetty 9, as a peer for
 * `make bench`.  Compiled with javac by tests/bench at bench time.
 *
 *   JgitLfsServer serve DIR    LfsProtocolServlet + FileLfsServlet storing
 *                              in DIR (a FileLfsRepository), as JGit's own
 *                              tests and Gerrit's lfs plugin wire them
 *   JgitLfsServer noop         git-lfs's floor: answers every batch with an
 *                              upload action for each object and takes
 *                              PUTs without storing or hashing anything
 *
 * Either listens on a free loopback port and prints "listening on
 * http://127.0.0.1:PORT/lfs" (the LFS endpoint: batch at
 * /lfs/objects/batch, objects at /lfs/objects/OID) once it accepts
 * requests.  Runs until killed. */
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;

import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.eclipse.jgit.lfs.server.LargeFileRepository;
import org.eclipse.jgit.lfs.server.LfsProtocolServlet;
import org.eclipse.jgit.lfs.server.fs.FileLfsRepository;
import org.eclipse.jgit.lfs.server.fs.FileLfsServlet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

public class JgitLfsServer {
	private static final String LFS = "application/vnd.git-lfs+json";

	/* The floor: a batch answer built with no lookup, a PUT drained. */
	@SuppressWarnings("serial")
	private static final class NoopBatch extends HttpServlet {
		private final String[] base;

		NoopBatch(String[] base) {
			this.base = base;
		}

		@Override
		protected void doPost(HttpServletRequest req, HttpServletResponse rsp) throws IOException {
			JsonObject in = JsonParser.parseReader(req.getReader()).getAsJsonObject();
			String op = in.get("operation").getAsString();
			JsonArray out = new JsonArray();
			for (JsonElement e : in.getAsJsonArray("objects")) {
				JsonObject o = e.getAsJsonObject();
				JsonObject r = new JsonObject();
				r.add("oid", o.get("oid"));
				r.add("size", o.get("size"));
				JsonObject act = new JsonObject();
				act.addProperty("href", base[0] + o.get("oid").getAsString());
				JsonObject acts = new JsonObject();
				acts.add(op, act);
				r.add("actions", acts);
				out.add(r);
			}
			JsonObject answer = new JsonObject();
			answer.addProperty("transfer", "basic");
			answer.add("objects", out);
			byte[] b = answer.toString().getBytes(StandardCharsets.UTF_8);
			rsp.setStatus(200);
			rsp.setContentType(LFS);
			rsp.setContentLength(b.length);
			rsp.getOutputStream().write(b);
		}
	}

	@SuppressWarnings("serial")
	private static final class NoopObjects extends HttpServlet {
		@Override
		protected void doPut(HttpServletRequest req, HttpServletResponse rsp) throws IOException {
			byte[] buf = new byte[65536];
			try (InputStream in = req.getInputStream()) {
				while (in.read(buf) >= 0)
					;
			}
			rsp.setStatus(200);
			rsp.setContentLength(0);
		}
	}

	public static void main(String[] args) throws Exception {
		boolean noop = args.length == 1 && args[0].equals("noop");
		if (!noop && !(args.length == 2 && args[0].equals("serve"))) {
			System.err.println("usage: JgitLfsServer serve DIR | noop");
			System.exit(2);
		}
		Server server = new Server();
		ServerConnector conn = new ServerConnector(server);
		conn.setHost("127.0.0.1");
		conn.setPort(0);
		server.addConnector(conn);
		ServletContextHandler ctx = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
		ctx.setContextPath("/");
		server.setHandler(ctx);

		/* The hrefs need the port, known only once the connector is open. */
		String[] base = { "http://127.0.0.1:0/lfs/objects/" };
		FileLfsRepository repo = null;
		if (noop) {
			ctx.addServlet(new ServletHolder(new NoopBatch(base)), "/lfs/objects/batch");
			ctx.addServlet(new ServletHolder(new NoopObjects()), "/lfs/objects/*");
		} else {
			Path dir = Paths.get(args[1]);
			final FileLfsRepository r = new FileLfsRepository(base[0], dir);
			repo = r;
			@SuppressWarnings("serial")
			LfsProtocolServlet batch = new LfsProtocolServlet() {
				@Override
				protected LargeFileRepository getLargeFileRepository(LfsRequest request,
					String path, String auth) {
					return r;
				}
			};
			ctx.addServlet(new ServletHolder(batch), "/lfs/objects/batch");
			/* FileLfsServlet streams with servlet 3.1 async I/O. */
			ServletHolder objects = new ServletHolder(new FileLfsServlet(r, 600000));
			objects.setAsyncSupported(true);
			ctx.addServlet(objects, "/lfs/objects/*");
		}
		server.start();
		String url = "http://127.0.0.1:" + conn.getLocalPort() + "/lfs";
		base[0] = url + "/objects/";
		if (repo != null)
			repo.setUrl(base[0]);
		Writer w = new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8);
		w.write("listening on " + url + "\n");
		w.flush();
		server.join();
	}
}
