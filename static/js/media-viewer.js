// A revision's photos and videos on its tracking page (revisions/_media.html): a
// thumbnail opens the photo full size, or plays the video, in a modal <dialog>. Escape,
// the "Fermer" button or a click beside the picture closes it and the focus goes back to
// the thumbnail; the arrow keys go to the previous or next one. Without JavaScript, or
// without <dialog>, each link simply opens the file.
(function () {
  var dialog = document.querySelector("[data-media-viewer]");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var body = dialog.querySelector(".media-viewer-body");
  var caption = dialog.querySelector(".media-viewer-caption");
  var links = Array.prototype.slice.call(document.querySelectorAll("a[data-media]"));
  var opener = null;
  var current = -1;

  function show(index) {
    var link = links[index];
    if (!link) return;
    current = index;
    body.textContent = "";  // also stops a video that was playing
    var text = link.getAttribute("data-caption") || link.getAttribute("data-label") || "";
    if (link.getAttribute("data-media") === "video") {
      var video = document.createElement("video");
      video.controls = true;
      video.preload = "metadata";
      video.setAttribute("playsinline", "");
      var source = document.createElement("source");
      source.src = link.href;
      source.type = link.getAttribute("data-type") || "";
      video.appendChild(source);
      video.setAttribute("aria-label", text);
      body.appendChild(video);
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});  // autoplay refused: the controls remain
    } else {
      var img = document.createElement("img");
      img.src = link.href;
      img.alt = text;
      if (link.getAttribute("data-width")) {
        // The space is kept before the image arrives: the dialog does not jump.
        img.width = +link.getAttribute("data-width");
        img.height = +link.getAttribute("data-height");
      }
      body.appendChild(img);
    }
    caption.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-media]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    opener = link;
    show(links.indexOf(link));
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("[data-media-close]").focus();
  });
  dialog.addEventListener("click", function (event) {
    // A click on the backdrop lands on the dialog itself, outside its content.
    if (event.target === dialog || event.target.closest("[data-media-close]")) dialog.close();
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.target.tagName === "VIDEO") return;  // its own arrow keys seek
    if (event.key === "ArrowRight" && current < links.length - 1) show(current + 1);
    else if (event.key === "ArrowLeft" && current > 0) show(current - 1);
    else return;
    event.preventDefault();
  });
  // Escape closes a modal dialog by itself; every way of closing ends here.
  dialog.addEventListener("close", function () {
    body.textContent = "";
    if (opener) opener.focus();
  });
})();
