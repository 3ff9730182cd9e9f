/* rtsp_test_server: a live H.264 RTSP stream on 127.0.0.1 for the opencv.camera tests.
 *
 *   rtsp_test_server --port PORT [--path /test] [--width 320] [--height 240] [--fps 25]
 *                    [--ready-file FILE]
 *
 * Serves rtsp://127.0.0.1:PORT/PATH from
 *   ( videotestsrc is-live=true ! video/x-raw,width=W,height=H,framerate=F/1
 *     ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=F ! rtph264pay name=pay0 pt=96 )
 * and prints one line "rtsp_test_server ready rtsp://127.0.0.1:PORT/PATH" on stdout once the
 * port is bound, so a test waits for that line instead of sleeping. --port 0 binds a free
 * port (no race between picking and binding it); the ready line tells which. --ready-file
 * also writes that line to FILE (complete when it appears: written aside, then renamed), for
 * callers that cannot read the server's stdout while it runs. SIGTERM and SIGINT end
 * it cleanly (exit 0); the tests also SIGKILL it to simulate a camera that vanishes.
 *
 * Each client gets its own pipeline (the factory is not shared), so a reconnecting client
 * starts at a key frame and never sees another client's state.
 *
 * Exit status: 0 after SIGTERM/SIGINT, 1 cannot listen, 2 bad arguments, 3 a GStreamer
 * element is missing (the message names the Debian package; tests skip on 3). */
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean quit_on_signal(gpointer loop) {
  g_main_loop_quit((GMainLoop*)loop);
  return G_SOURCE_REMOVE;
}

static int usage(const char* problem) {
  fprintf(stderr,
          "rtsp_test_server: %s\n"
          "usage: rtsp_test_server --port PORT|0 [--path /test] [--width 320] [--height 240] [--fps 25]\n"
          "                        [--ready-file FILE]\n",
          problem);
  return 2;
}

/* Parses a positive integer option value; returns 0 when it is not one. */
static int positive(const char* text) {
  char* end = NULL;
  const long v = strtol(text, &end, 10);
  return (end != text && *end == '\0' && v > 0 && v < 100000) ? (int)v : 0;
}

int main(int argc, char** argv) {
  int port = -1, width = 320, height = 240, fps = 25;
  const char* path = "/test";
  const char* ready_file = NULL;
  gst_init(&argc, &argv);
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) return usage("every option needs a value");
    const char* opt = argv[i];
    const char* val = argv[++i];
    if (strcmp(opt, "--port") == 0) {
      port = strcmp(val, "0") == 0 ? 0 : positive(val);
    } else if (strcmp(opt, "--ready-file") == 0) {
      ready_file = val;
    } else if (strcmp(opt, "--path") == 0) {
      path = val;
    } else if (strcmp(opt, "--width") == 0) {
      width = positive(val);
    } else if (strcmp(opt, "--height") == 0) {
      height = positive(val);
    } else if (strcmp(opt, "--fps") == 0) {
      fps = positive(val);
    } else {
      return usage("unknown option");
    }
  }
  if (port < 0 || port > 65535) return usage("--port PORT (1-65535, or 0 for a free one) is required");
  if (width <= 0 || height <= 0 || fps <= 0) return usage("--width, --height and --fps must be positive integers");
  if (path[0] != '/') return usage("--path must start with '/'");

  /* Exit status 3 tells the tests to skip (with this reason) rather than fail. */
  static const char* const needed[][2] = {{"videotestsrc", "gstreamer1.0-plugins-base"},
                                          {"x264enc", "gstreamer1.0-plugins-ugly"},
                                          {"rtph264pay", "gstreamer1.0-plugins-good"}};
  for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); ++i) {
    GstElementFactory* f = gst_element_factory_find(needed[i][0]);
    if (f == NULL) {
      fprintf(stderr, "rtsp_test_server: GStreamer element '%s' is missing; install %s\n", needed[i][0], needed[i][1]);
      return 3;
    }
    gst_object_unref(f);
  }

  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  GstRTSPServer* server = gst_rtsp_server_new();
  gchar* service = g_strdup_printf("%d", port);
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, service);

  gchar* launch = g_strdup_printf(
      "( videotestsrc is-live=true ! video/x-raw,width=%d,height=%d,framerate=%d/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d ! rtph264pay name=pay0 pt=96 )",
      width, height, fps, fps);
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch);
  gst_rtsp_media_factory_set_shared(factory, FALSE);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, path, factory); /* takes the factory */
  g_object_unref(mounts);

  GError* error = NULL;
  GSource* source = gst_rtsp_server_create_source(server, NULL, &error);
  if (source == NULL) {
    fprintf(stderr, "rtsp_test_server: cannot listen on 127.0.0.1:%d: %s\n", port,
            error ? error->message : "unknown error");
    return 1;
  }
  g_source_attach(source, NULL);
  g_unix_signal_add(SIGTERM, quit_on_signal, loop);
  g_unix_signal_add(SIGINT, quit_on_signal, loop);

  port = gst_rtsp_server_get_bound_port(server);
  gchar* ready = g_strdup_printf("rtsp_test_server ready rtsp://127.0.0.1:%d%s\n", port, path);
  fputs(ready, stdout);
  fflush(stdout);
  if (ready_file != NULL) {
    gchar* partial = g_strdup_printf("%s.partial", ready_file);
    if (!g_file_set_contents(partial, ready, -1, &error) || rename(partial, ready_file) != 0) {
      fprintf(stderr, "rtsp_test_server: cannot write %s: %s\n", ready_file, error ? error->message : "rename failed");
      return 1;
    }
    g_free(partial);
  }
  g_free(ready);
  g_main_loop_run(loop);

  g_source_destroy(source);
  g_source_unref(source);
  g_object_unref(server);
  g_main_loop_unref(loop);
  g_free(launch);
  g_free(service);
  return 0;
}
