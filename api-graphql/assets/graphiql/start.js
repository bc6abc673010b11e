// Starts GraphiQL against this server: queries and mutations over HTTP,
// subscriptions over graphql-ws on the same path. A separate file, not an
// inline script, so that the page's Content-Security-Policy can forbid those.
(function () {
  var url = new URL('/graphql', window.location.href);
  var socket = new URL(url.href);
  socket.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: url.href,
    wsClient: graphqlWs.createClient({ url: socket.href, lazy: true }),
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
