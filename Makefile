# The README's two commands. Both install what they need themselves (tools/bootstrap).
.PHONY: demo test sanity bootstrap image clean-rig

demo:        ## the main job: deploy the all-in-one cloud (into a systemd node here) and boot a tenant server on it
	tools/demo

test:        ## run every test: pytest (library + modules against real services), sanity, mypy
	tools/test

bootstrap:   ## apt packages + the pinned venv (.venv)
	tools/bootstrap

image:       ## build (or reuse the cached) tiny guest image
	tools/build-guest-image

sanity:      ## ansible-test sanity on the built collection
	tools/sanity

clean-rig:   ## stop the libvirtd rig started by tests or the demo
	tools/rig stop
