// Starts GraphiQL against this server: queries and mutations over HTTP,
// subscriptions over graphql-ws on the same path. A separate file, not an
// inline script, so that the page's Content-Security-Policy can forbid those.
//
// The token: paste {"Authorization": "Bearer <token>"} into the Headers tab
// (`prasme token` or scripts/demo prints one). GraphiQL sends it with every
// HTTP request; the socket sends it in connection_init, read from the same
// headers each time it connects. Only development mode serves this page.
(function () {
  var url = new URL('/graphql', window.location.href);
  var socket = new URL(url.href);
  socket.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // Paste "Bearer <token>" here; while it is empty nothing is sent, and
  // development mode serves the schema for the documentation anyway.
  var DEFAULT_HEADERS = '{\n  "Authorization": ""\n}';
  function authorization() {
    try {
      var headers = JSON.parse(window.localStorage.getItem('graphiql:headers') || '{}');
      return headers.Authorization || headers.authorization || '';
    } catch (e) {
      return '';
    }
  }
  function withoutEmptyHeaders(input, init) {
    var headers = new Headers((init && init.headers) || {});
    if (!headers.get('authorization')) headers.delete('authorization');
    return window.fetch(input, Object.assign({}, init, { headers: headers }));
  }
  var fetcher = GraphiQL.createFetcher({
    url: url.href,
    fetch: withoutEmptyHeaders,
    wsClient: graphqlWs.createClient({
      url: socket.href,
      lazy: true,
      connectionParams: function () {
        return { Authorization: authorization() };
      },
    }),
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultHeaders: DEFAULT_HEADERS,
      shouldPersistHeaders: true,
    }),
  );
})();
